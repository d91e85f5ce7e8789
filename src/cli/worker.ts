import type { Command } from 'commander';

// Placeholder: the real `pipe worker` lands with its issue.
export function register(program: Command): void {
  program
    .command('worker')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('pipe worker: not implemented yet\n');
      process.exitCode = 2;
    });
}
