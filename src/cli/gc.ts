// `pipe gc`: delete cache entries and work folders that no run directory references.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('gc')
    .description('Delete cache entries and unfinished work folders that no run directory references.')
    .option('--cache-dir <dir>', 'stage cache (default .pipe/cache; env PIPE_CACHE_DIR)')
    .option(
      '--runs-dir <dir...>',
      'run directories to keep alive (default runs; env PIPE_RUNS_DIR); runs dirs recorded in the cache are read too',
    )
    .option('--dry-run', 'only list what would be deleted')
    .option('--force', 'delete even when a runs dir or a run.json cannot be read (their entries are lost)')
    .action(async (o: { cacheDir?: string; runsDir?: string[]; dryRun?: boolean; force?: boolean }) => {
      const { resolveLocations } = await import('../runtime/settings.js');
      const { collectGarbage } = await import('../runtime/gc.js');
      const { checkDirOptions } = await import('./dir-options.js');
      await checkDirOptions({ cacheDir: o.cacheDir }, ['cacheDir']);
      const loc = resolveLocations({ cacheDir: o.cacheDir });
      const runsDirs = o.runsDir?.length
        ? o.runsDir.map((d) => resolveLocations({ runsDir: d }).runsDir)
        : [loc.runsDir];
      const r = await collectGarbage(loc.cacheDir, runsDirs, { dryRun: o.dryRun, force: o.force });
      const verb = r.dryRun ? 'would delete' : 'deleted';
      const say = (s: string) => process.stdout.write(`${s}\n`);
      for (const why of r.ignored) process.stderr.write(`pipe: warning: --force: going on although ${why}\n`);
      for (const fp of r.removedEntries) say(`${verb} entry ${fp}`);
      for (const fp of r.removedWork) say(`${verb} work ${fp}`);
      for (const k of r.keptLocked) say(`kept ${k.what} ${k.fp} (lock held: a stage is computing it now)`);
      say(`runs dirs read: ${r.runsDirs.join(', ') || '(none)'}`);
      say(
        `${r.runs} runs reference ${r.kept - r.keptLocked.filter((k) => k.what === 'entry').length} cache entries` +
          `${r.keptLocked.length ? `; kept ${r.keptLocked.length} locked` : ''}; ` +
          `${verb} ${r.removedEntries.length} entries and ${r.removedWork.length} work folders in ${loc.cacheDir}`,
      );
    });
}
