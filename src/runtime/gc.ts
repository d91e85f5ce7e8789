// `pipe gc`: drop cache entries and work folders that no run references. It fails closed: a runs dir
// that does not exist, a run.json it cannot read or an unreadable cache record stops it (unless
// --force), every runs dir recorded in the cache is read too, and anything whose stage lock is held
// is kept. A run still going references its fingerprints from its first run.json write.
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { scanRuns } from './run-dir.js';
import { forgetRunsDir, recordedRunsDirs } from './runs-dirs-registry.js';
import { isLockHeld } from './stage-lock.js';
import { DirectoryStore } from './store.js';

export interface GcOptions {
  dryRun?: boolean;
  /** Go ahead although some runs dir or run.json could not be read (their entries may be deleted). */
  force?: boolean;
}

export interface GcResult {
  runs: number;
  /** Every runs dir read (given plus recorded in the cache). */
  runsDirs: string[];
  kept: number;
  /** Fingerprints kept only because a live process holds their lock. */
  keptLocked: { what: 'entry' | 'work'; fp: string }[];
  removedEntries: string[];
  removedWork: string[];
  /** What --force went past. */
  ignored: string[];
  dryRun: boolean;
}

interface References {
  runs: number;
  runsDirs: string[];
  fingerprints: Set<string>;
  problems: string[];
  forgettable: string[];
}

async function collectReferences(cacheDir: string, runsDirs: string[]): Promise<References> {
  const refs: References = { runs: 0, runsDirs: [], fingerprints: new Set(), problems: [], forgettable: [] };
  const recorded = await recordedRunsDirs(cacheDir);
  const given = new Set(runsDirs.map((d) => path.resolve(d)));
  const all = [...given];
  for (const r of recorded) {
    if (!r.runsDir) refs.problems.push(`${r.file} (the cache's record of a runs dir using it) cannot be read`);
    else if (!all.includes(r.runsDir)) all.push(r.runsDir);
  }
  for (const dir of all) {
    const from = given.has(dir) ? '' : ` (recorded in ${path.join(cacheDir, 'runs-dirs')} as using this cache)`;
    const st = await stat(dir).catch((err: NodeJS.ErrnoException) => err);
    if (st instanceof Error) {
      refs.problems.push(
        `runs dir ${dir} ${st.code === 'ENOENT' ? 'does not exist' : `cannot be read (${st.code})`}${from}`,
      );
      if (from && st.code === 'ENOENT')
        refs.forgettable.push(...recorded.filter((r) => r.runsDir === dir).map((r) => r.file));
      continue;
    }
    if (!st.isDirectory()) {
      refs.problems.push(`runs dir ${dir} is not a directory${from}`);
      continue;
    }
    let scan;
    try {
      scan = await scanRuns(dir);
    } catch (err) {
      refs.problems.push(`runs dir ${dir} cannot be listed (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      continue;
    }
    refs.runsDirs.push(dir);
    for (const u of scan.unreadable) refs.problems.push(`${u.file} cannot be read (${u.why})`);
    for (const { record } of scan.runs) {
      refs.runs++;
      for (const s of Object.values(record.stages))
        if (s && typeof s.fingerprint === 'string') refs.fingerprints.add(s.fingerprint);
    }
  }
  return refs;
}

function refusal(problems: string[]): UserError {
  return new UserError(
    'PIPE_GC_REFUSED',
    'gc deleted nothing: it cannot tell which cache entries are still in use because\n' +
      `${problems.map((p) => `  - ${p}`).join('\n')}\n` +
      'Fix the path (--runs-dir, PIPE_RUNS_DIR) or the file, ' +
      'or pass --force to delete every entry that no readable run references.',
    2,
  );
}

export async function collectGarbage(cacheDir: string, runsDirs: string[], opts: GcOptions = {}): Promise<GcResult> {
  const refs = await collectReferences(cacheDir, runsDirs);
  if (refs.problems.length && !opts.force) throw refusal(refs.problems);
  const store = new DirectoryStore(cacheDir);
  const keptLocked: GcResult['keptLocked'] = [];
  const unreferenced = async (what: 'entry' | 'work', fps: string[]) => {
    const out: string[] = [];
    for (const fp of fps) {
      if (refs.fingerprints.has(fp)) continue;
      if (await isLockHeld(store.lockPath(fp))) keptLocked.push({ what, fp });
      else out.push(fp);
    }
    return out;
  };
  const entries = await store.listEntries();
  const removedEntries = await unreferenced('entry', entries);
  const removedWork = await unreferenced('work', await store.listWork());
  if (!opts.dryRun) {
    for (const fp of removedEntries) await store.discard(store.entryDir(fp));
    for (const fp of removedWork) await store.discard(store.workPath(fp));
    for (const file of refs.forgettable) await forgetRunsDir(file);
    // Leftovers of interrupted deletions.
    for (const name of await readdir(path.join(store.root, 'trash')).catch(() => [] as string[])) {
      await rm(path.join(store.root, 'trash', name), { recursive: true, force: true });
    }
  }
  return {
    runs: refs.runs,
    runsDirs: refs.runsDirs,
    kept: entries.length - removedEntries.length,
    keptLocked,
    removedEntries,
    removedWork,
    ignored: refs.problems,
    dryRun: !!opts.dryRun,
  };
}
