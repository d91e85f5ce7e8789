import type { Command } from 'commander';

// Placeholder: the real `pipe validate` lands with its issue.
export function register(program: Command): void {
  program
    .command('validate')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('pipe validate: not implemented yet\n');
      process.exitCode = 2;
    });
}
