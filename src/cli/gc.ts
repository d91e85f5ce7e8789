import type { Command } from 'commander';

// Placeholder: the real `pipe gc` lands with its issue.
export function register(program: Command): void {
  program
    .command('gc')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('pipe gc: not implemented yet\n');
      process.exitCode = 2;
    });
}
