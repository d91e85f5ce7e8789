// Content-addressed cache on a directory (possibly shared by several processes or machines).
// Layout: <root>/<fp[0:2]>/<fp>/ = outputs + stage.json; <root>/work/<fp>/ = scratch of an
// unfinished stage. Renaming a complete folder into place is the commit: an entry either exists
// whole or not at all, and the loser of a publish race discards its copy.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { ArtefactStore } from './types.js';
import { pathExists } from '../core/fs.js';
import { readStageRecord, STAGE_RECORD, type StageRecord } from '../core/formats/stage-record.js';

export { STAGE_RECORD };

export interface PublishOptions {
  /** Replace an existing entry (`--force`) instead of keeping it. */
  replace?: boolean;
}

export class DirectoryStore implements ArtefactStore {
  readonly root: string;
  private readonly warn: (message: string) => void;

  constructor(root: string, opts: { warn?: (message: string) => void } = {}) {
    this.root = path.resolve(root);
    this.warn = opts.warn ?? ((m) => process.stderr.write(`pipe: warning: ${m}\n`));
  }

  entryDir(fingerprint: string): string {
    return path.join(this.root, fingerprint.slice(0, 2), fingerprint);
  }

  workPath(fingerprint: string): string {
    return path.join(this.root, 'work', fingerprint);
  }

  /** Held while a process computes the fingerprint (see stage-lock.ts). */
  lockPath(fingerprint: string): string {
    return path.join(this.root, 'work', `${fingerprint}.lock`);
  }

  async lookup(fingerprint: string): Promise<string | undefined> {
    const dir = this.entryDir(fingerprint);
    if (!(await pathExists(dir))) return undefined;
    if (await pathExists(path.join(dir, STAGE_RECORD))) return dir;
    // Only a hand-edited or foreign folder can lack the record (publish renames complete folders).
    this.warn(`cache entry ${dir} has no ${STAGE_RECORD}; removing it and recomputing the stage`);
    await this.discard(dir);
    return undefined;
  }

  /** The entry's stage.json; undefined when it is missing or damaged (callers only decorate what they say). */
  async readRecord(fingerprint: string): Promise<StageRecord | undefined> {
    return readStageRecord(path.join(this.entryDir(fingerprint), STAGE_RECORD)).catch(() => undefined);
  }

  async workDir(fingerprint: string): Promise<string> {
    const dir = this.workPath(fingerprint);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async removeWork(fingerprint: string): Promise<void> {
    await rm(this.workPath(fingerprint), { recursive: true, force: true });
  }

  async publish(
    fingerprint: string,
    dir: string,
    record: Record<string, unknown>,
    opts: PublishOptions = {},
  ): Promise<string> {
    await writeFile(path.join(dir, STAGE_RECORD), JSON.stringify(record, null, 2));
    const target = this.entryDir(fingerprint);
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await rename(dir, target);
      return target;
    } catch (err) {
      if (!isTargetTaken(err)) throw err;
    }
    if (!opts.replace) {
      // Someone else published the same fingerprint first: equal inputs, so keep theirs.
      await rm(dir, { recursive: true, force: true });
      return target;
    }
    await this.discard(target);
    try {
      await rename(dir, target);
    } catch (err) {
      if (!isTargetTaken(err)) throw err;
      await rm(dir, { recursive: true, force: true });
    }
    return target;
  }

  /** Fingerprints of all published entries. */
  async listEntries(): Promise<string[]> {
    const out: string[] = [];
    for (const shard of await listDir(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const fp of await listDir(path.join(this.root, shard))) if (fp.startsWith(shard)) out.push(fp);
    }
    return out;
  }

  /** Fingerprints with a work folder (unfinished or interrupted stages). */
  async listWork(): Promise<string[]> {
    return (await listDir(path.join(this.root, 'work'))).filter((n) => /^[0-9a-f]{64}$/.test(n));
  }

  /** Moves a folder out of the way first so readers never see it half-deleted. */
  async discard(dir: string): Promise<void> {
    const trash = path.join(
      this.root,
      'trash',
      `${path.basename(dir)}-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    );
    await mkdir(path.dirname(trash), { recursive: true });
    try {
      await rename(dir, trash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    await rm(trash, { recursive: true, force: true });
  }
}

function isTargetTaken(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM' || code === 'EISDIR';
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}
