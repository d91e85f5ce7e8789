// `pipe gc`: drop cache entries and work folders that no run directory references. A run still
// going references its fingerprints from its first run.json write, so gc never eats live work.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { listRuns } from './run-dir.js';
import { DirectoryStore } from './store.js';

export interface GcResult {
  runs: number;
  kept: number;
  removedEntries: string[];
  removedWork: string[];
  dryRun: boolean;
}

export async function collectGarbage(cacheDir: string, runsDirs: string[], opts: { dryRun?: boolean } = {}): Promise<GcResult> {
  const referenced = new Set<string>();
  let runs = 0;
  for (const runsDir of runsDirs) {
    for (const { record } of await listRuns(runsDir)) {
      runs++;
      for (const s of Object.values(record.stages ?? {})) if (s.fingerprint) referenced.add(s.fingerprint);
    }
  }
  const store = new DirectoryStore(cacheDir);
  const entries = await store.listEntries();
  const removedEntries = entries.filter((fp) => !referenced.has(fp));
  const removedWork = (await store.listWork()).filter((fp) => !referenced.has(fp));
  if (!opts.dryRun) {
    for (const fp of removedEntries) await store.discard(store.entryDir(fp));
    for (const fp of removedWork) await store.discard(store.workPath(fp));
    // Leftovers of interrupted deletions.
    for (const name of await readdir(path.join(store.root, 'trash')).catch(() => [] as string[])) {
      await rm(path.join(store.root, 'trash', name), { recursive: true, force: true });
    }
  }
  return { runs, kept: entries.length - removedEntries.length, removedEntries, removedWork, dryRun: !!opts.dryRun };
}
