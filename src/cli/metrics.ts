import type { Command } from 'commander';

// Placeholder: the real `pipe metrics` lands with its issue.
export function register(program: Command): void {
  program
    .command('metrics')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('pipe metrics: not implemented yet\n');
      process.exitCode = 2;
    });
}
