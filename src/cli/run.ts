import type { Command } from 'commander';

// Placeholder: the real `pipe run` lands with its issue.
export function register(program: Command): void {
  program
    .command('run')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('pipe run: not implemented yet\n');
      process.exitCode = 2;
    });
}
