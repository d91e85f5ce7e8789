// `pipe runs`: the run directories with their status, newest last.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('runs')
    .description('List runs (newest last) with their status and stage counts.')
    .argument('[pipeline]', 'only runs of this pipeline name')
    .option('--runs-dir <dir>', 'where run directories are (default runs; env PIPE_RUNS_DIR)')
    .option('--json', 'print as JSON')
    .action(async (pipeline: string | undefined, o: { runsDir?: string; json?: boolean }) => {
      const { resolveLocations } = await import('../runtime/settings.js');
      const { listRuns } = await import('../runtime/run-dir.js');
      const { formatRuns } = await import('../runtime/runs-list.js');
      const { checkDirOptions } = await import('./dir-options.js');
      await checkDirOptions(o, ['runsDir']);
      const loc = resolveLocations({ runsDir: o.runsDir });
      const runs = (await listRuns(loc.runsDir)).filter((r) => !pipeline || r.record.pipeline === pipeline);
      // A damaged run.json must not make a run vanish silently ("no runs yet").
      const { scanRuns } = await import('../runtime/run-dir.js');
      const scan = await scanRuns(loc.runsDir).catch(() => undefined);
      for (const u of scan?.unreadable ?? []) {
        process.stderr.write(`pipe: warning: ${u.file} cannot be read (${u.why}); that run is not listed\n`);
      }
      process.stdout.write(o.json ? `${JSON.stringify(runs, null, 2)}\n` : `${formatRuns(runs, process.cwd())}\n`);
    });
}
