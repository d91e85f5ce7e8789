// `pipe gc`: delete cache entries and work folders that no run directory references.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('gc')
    .description('Delete cache entries and unfinished work folders that no run directory references.')
    .option('--cache-dir <dir>', 'stage cache (default .pipe/cache; env PIPE_CACHE_DIR)')
    .option('--runs-dir <dir...>', 'run directories to keep alive (default runs; env PIPE_RUNS_DIR)')
    .option('--dry-run', 'only list what would be deleted')
    .action(async (o: { cacheDir?: string; runsDir?: string[]; dryRun?: boolean }) => {
      const { resolveLocations } = await import('../runtime/settings.js');
      const { collectGarbage } = await import('../runtime/gc.js');
      const loc = resolveLocations({ cacheDir: o.cacheDir });
      const runsDirs = o.runsDir?.length ? o.runsDir.map((d) => resolveLocations({ runsDir: d }).runsDir) : [loc.runsDir];
      const r = await collectGarbage(loc.cacheDir, runsDirs, { dryRun: o.dryRun });
      const verb = r.dryRun ? 'would delete' : 'deleted';
      for (const fp of r.removedEntries) process.stdout.write(`${verb} entry ${fp}\n`);
      for (const fp of r.removedWork) process.stdout.write(`${verb} work ${fp}\n`);
      process.stdout.write(
        `${r.runs} runs reference ${r.kept} cache entries; ${verb} ${r.removedEntries.length} entries and ${r.removedWork.length} work folders in ${loc.cacheDir}\n`,
      );
    });
}
