import type { Command } from 'commander';

// Placeholder: the real `pipe compare` lands with its issue.
export function register(program: Command): void {
  program
    .command('compare')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('pipe compare: not implemented yet\n');
      process.exitCode = 2;
    });
}
