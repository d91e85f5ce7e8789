// `pipe doctor`: which TensorFlow.js backends load on this machine, why the others don't and what to do, and which
// one `auto` picks. Exit 0 whatever it finds: it is a diagnosis, not a check.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Diagnose the backends: which load, why the others do not and what to do; GPU, CUDA and WebGPU facts.')
    .option('--json', 'print the report as JSON')
    .action(async (o: { json?: boolean }) => {
      const { runDoctor } = await import('../ml/doctor/index.js');
      const { formatDoctor } = await import('../ml/doctor/format.js');
      const report = await runDoctor();
      process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctor(report));
    });
}
