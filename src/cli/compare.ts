import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('compare')
    .description('Metric means of two runs side by side, per variant, with the change and whether it is better.')
    .argument('<runA>', 'run directory, pipeline file (its newest run) or metrics.json')
    .argument('<runB>', 'run directory, pipeline file (its newest run) or metrics.json')
    .option('--md', 'print the table as Markdown')
    .option('--runs-dir <dir>', 'where runs live (default: $PIPE_RUNS_DIR or ./runs)')
    .action(async (a: string, b: string, opts: { md?: boolean; runsDir?: string }) => {
      const { checkDirOptions } = await import('./dir-options.js');
      await checkDirOptions({ runsDir: opts.runsDir }, ['runsDir']);
      const { loadRunOrFile } = await import('../checks/load-run.js');
      const { compareRuns, formatCompare } = await import('../report/compare.js');
      const [ra, rb] = [await loadRunOrFile(a, opts.runsDir), await loadRunOrFile(b, opts.runsDir)];
      const text = formatCompare(compareRuns(ra.metrics, rb.metrics), ['A', 'B'], Boolean(opts.md));
      const head = opts.md ? `A: \`${ra.label}\`  \nB: \`${rb.label}\`\n\n` : `A: ${ra.label}\nB: ${rb.label}\n\n`;
      const { terminalSafe } = await import('../core/user-text.js');
      process.stdout.write(terminalSafe(head + text));
    });
}
