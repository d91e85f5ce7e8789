import type { Command } from 'commander';

// Placeholder: the real `pipe report` lands with its issue.
export function register(program: Command): void {
  program
    .command('report')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('pipe report: not implemented yet\n');
      process.exitCode = 2;
    });
}
