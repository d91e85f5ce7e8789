import type { Command } from 'commander';

// Placeholder: the real `pipe plan` lands with its issue.
export function register(program: Command): void {
  program
    .command('plan')
    .description('(not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      process.stderr.write('pipe plan: not implemented yet\n');
      process.exitCode = 2;
    });
}
