import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('report')
    .description("Re-render a run's report.html, report.md and metrics.json from its stage outputs.")
    .argument(
      '[run]',
      'run directory (runs/<name>/<run-id>) or pipeline file (its newest run); default: the newest run',
    )
    .option('--out <dir>', 'write the files here instead of into the run directory')
    .option('--runs-dir <dir>', 'where runs live (default: $PIPE_RUNS_DIR or ./runs)')
    .action(async (run: string | undefined, opts: { out?: string; runsDir?: string }) => {
      const { locateRun } = await import('../checks/locate-run.js');
      const { renderRunReport } = await import('../report/from-run.js');
      const dir = await locateRun(run, opts.runsDir);
      const { files, model } = await renderRunReport(dir, opts.out ?? dir);
      const failed = model.checks.filter((c) => !c.pass).length;
      process.stdout.write(
        `${files.join('\n')}\n${Object.keys(model.run.configs).length} configs; ${model.checks.length ? `${model.checks.length - failed}/${model.checks.length} checks pass` : 'no checks'}\n`,
      );
    });
}
