import type { Command } from 'commander';

// Placeholder: the real `pipe runs` lands with its issue.
export function register(program: Command): void {
  program
    .command('runs')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('pipe runs: not implemented yet\n');
      process.exitCode = 2;
    });
}
