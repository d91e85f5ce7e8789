// One process at a time computes a given fingerprint, even across machines sharing the cache:
// a lock file created with O_EXCL next to the work folder, refreshed while the stage runs. A lock
// whose owner is gone (same host, dead pid) or that stopped being refreshed is taken over.
import { mkdir, open, readFile, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { hostname } from 'node:os';
import { isProcessAlive } from './process-alive.js';

export interface LockOwner {
  host: string;
  pid: number;
  stageId: string;
  since: string;
}

export interface StageLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** A lock not refreshed for this long belongs to a dead machine (ms). */
  staleMs?: number;
  refreshMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?(owner: LockOwner | undefined): void;
  /** Checked between polls: true stops waiting (e.g. the other process published the entry). */
  done?(): Promise<boolean>;
}

/** Resolves with the lock, or undefined when `done()` turned true while waiting. */
export async function acquireStageLock(
  file: string,
  stageId: string,
  o: LockOptions = {},
): Promise<StageLock | undefined> {
  const staleMs = o.staleMs ?? 120_000;
  const refreshMs = o.refreshMs ?? Math.min(30_000, staleMs / 4);
  let waited = false;
  await mkdir(path.dirname(file), { recursive: true });
  for (;;) {
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
    try {
      const fh = await open(file, 'wx');
      const owner: LockOwner = { host: hostname(), pid: process.pid, stageId, since: new Date().toISOString() };
      await fh.writeFile(JSON.stringify(owner));
      await fh.close();
      const timer = setInterval(() => {
        const now = new Date();
        // A missed heartbeat is retried on the next tick; others take the lock over only after staleMs.
        utimes(file, now, now).catch(() => undefined);
      }, refreshMs);
      timer.unref();
      return {
        async release() {
          clearInterval(timer);
          await rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = await readOwner(file);
    if (await isStale(file, owner, staleMs)) {
      await rm(file, { force: true });
      continue;
    }
    if (!waited) {
      waited = true;
      o.onWait?.(owner);
    }
    if (o.done && (await o.done())) return undefined;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

async function isStale(file: string, owner: LockOwner | undefined, staleMs: number): Promise<boolean> {
  if (owner && owner.host === hostname()) return !isProcessAlive(owner.pid);
  try {
    return Date.now() - (await stat(file)).mtimeMs > staleMs;
  } catch {
    return false;
  }
}

/** Whether someone holds this lock now (it exists and is not stale); gc keeps what a live lock guards. */
export async function isLockHeld(file: string, staleMs = 120_000): Promise<boolean> {
  try {
    await stat(file);
  } catch {
    return false;
  }
  return !(await isStale(file, await readOwner(file), staleMs));
}
