import type { Command } from 'commander';

// Placeholder: the real `pipe check` lands with its issue.
export function register(program: Command): void {
  program
    .command('check')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('pipe check: not implemented yet\n');
      process.exitCode = 2;
    });
}
