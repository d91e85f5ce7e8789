// What a kill -9 leaves behind, tidied at the next start: run.json files still saying `running` (with
// stages `pending`/`running`) for a process that is gone, and /tmp/pipe-job-<pid>-* folders of dead
// parents. Only this host's processes are judged: a pid means nothing on another machine.
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { isProcessAlive } from './process-alive.js';
import { RUN_RECORD } from '../core/formats/run-record.js';
import { writeFileAtomic } from '../core/fs.js';
import { scanRuns } from './run-dir.js';

const UNFINISHED = new Set(['pending', 'running']);

/** Marks runs of dead processes (this host) as interrupted; returns their directories. */
export async function markKilledRuns(runsDir: string): Promise<string[]> {
  const scan = await scanRuns(runsDir).catch(() => undefined);
  const fixed: string[] = [];
  for (const { dir, record } of scan?.runs ?? []) {
    if (record.status !== 'running' || typeof record.pid !== 'number') continue;
    // Records written before `host` was recorded are taken to be local, like `pipe runs` does.
    if ((record.host !== undefined && record.host !== hostname()) || isProcessAlive(record.pid)) continue;
    record.status = 'interrupted';
    for (const s of Object.values(record.stages)) {
      if (s && UNFINISHED.has(s.status)) {
        s.status = 'interrupted';
        s.reason = 'the run was killed (found at the next start)';
      }
    }
    delete record.pid;
    await writeFileAtomic(path.join(dir, RUN_RECORD), `${JSON.stringify(record, null, 2)}\n`);
    fixed.push(dir);
  }
  return fixed;
}

const JOB_DIR = /^pipe-job-(\d+)-/;
/** Job folders named before the pid was part of the name: removed only when clearly abandoned. */
const LEGACY_AGE_MS = 24 * 3600 * 1000;

/** Removes /tmp/pipe-job-<pid>-* folders whose process is gone; returns how many. */
export async function sweepStaleJobDirs(dir = tmpdir()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith('pipe-job-')) continue;
    const full = path.join(dir, name);
    const m = JOB_DIR.exec(name);
    const stale = m
      ? !isProcessAlive(Number(m[1]))
      : Date.now() - ((await stat(full).catch(() => undefined))?.mtimeMs ?? Date.now()) > LEGACY_AGE_MS;
    if (!stale) continue;
    await rm(full, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
