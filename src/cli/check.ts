import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('check')
    .description(
      "Evaluate the pipeline's checks on a run: a table of value, threshold and PASS/FAIL. Exit 0 all pass, 1 a check failed, 2 run missing or incomplete.",
    )
    .argument(
      '[run]',
      'run directory (runs/<name>/<run-id>) or pipeline file (its newest run); default: the newest run',
    )
    .option(
      '--baseline <metrics.json>',
      'compare max_drop_vs checks with this stored metrics.json instead of another variant of the run',
    )
    .option('--md', 'print the table as Markdown (for a CI job summary)')
    .option('--runs-dir <dir>', 'where runs live (default: $PIPE_RUNS_DIR or ./runs)')
    .action(async (run: string | undefined, opts: { baseline?: string; md?: boolean; runsDir?: string }) => {
      const { checkDirOptions } = await import('./dir-options.js');
      await checkDirOptions({ runsDir: opts.runsDir }, ['runsDir']);
      const { locateRun } = await import('../checks/locate-run.js');
      const { runChecksForRun } = await import('../checks/index.js');
      const dir = await locateRun(run, opts.runsDir);
      const outcome = await runChecksForRun(dir, { baselineFile: opts.baseline, markdown: opts.md });
      const { terminalSafe } = await import('../core/user-text.js');
      const text = terminalSafe(outcome.exitCode === 2 ? outcome.text : `run ${dir}\n\n${outcome.text}`);
      (outcome.exitCode === 2 ? process.stderr : process.stdout).write(text);
      process.exitCode = outcome.exitCode;
    });
}
