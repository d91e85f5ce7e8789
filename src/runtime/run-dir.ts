// The run directory runs/<pipeline>/<run-id>/: what was asked (pipeline.yaml, resolved.json,
// dag.json), what happened (run.json, logs/), and pointers into the cache (stages/<id>/).
import { randomBytes } from 'node:crypto';
import { cp, mkdir, readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { STAGE_RECORD } from './store.js';
import { writeFileAtomic } from '../core/fs.js';
import { LATEST_LINK, readRunRecord, RUN_RECORD, safeName, type RunRecord } from '../core/formats/run-record.js';
import { DOES_NOT_EXIST, FileFormatError } from '../core/formats/read-json.js';
import { isUserFacing } from '../core/errors.js';

/** Files of the report stage's output copied to the top of the run directory. */
export const REPORT_FILES = ['report.html', 'report.md', 'metrics.json'];

export function newRunId(now = new Date()): string {
  const iso = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${iso}-${randomBytes(2).toString('hex')}`;
}

/** Stage ids contain `/` (train/<config>); each part becomes a folder. */
function stagePath(root: string, stageId: string, suffix = ''): string {
  return path.join(root, ...stageId.split('/').map(safeName)) + suffix;
}

export class RunDirectory {
  private constructor(
    readonly dir: string,
    readonly pipelineDir: string,
    readonly runId: string,
  ) {}

  static async create(runsDir: string, pipeline: string, runId = newRunId()): Promise<RunDirectory> {
    const pipelineDir = path.join(runsDir, safeName(pipeline));
    const dir = path.join(pipelineDir, runId);
    await mkdir(path.join(dir, 'logs'), { recursive: true });
    await mkdir(path.join(dir, 'stages'), { recursive: true });
    return new RunDirectory(dir, pipelineDir, runId);
  }

  logFile(stageId: string): string {
    return stagePath(path.join(this.dir, 'logs'), stageId, '.log');
  }

  async writeText(name: string, text: string): Promise<void> {
    await writeFileAtomic(path.join(this.dir, name), text);
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await this.writeText(name, `${JSON.stringify(value, null, 2)}\n`);
  }

  /** stages/<id>/output -> cache entry, plus a copy of its stage.json (survives gc of the entry). */
  async linkStage(stageId: string, entryDir: string): Promise<void> {
    const dir = stagePath(path.join(this.dir, 'stages'), stageId);
    await mkdir(dir, { recursive: true });
    await replaceSymlink(entryDir, path.join(dir, 'output'));
    // An entry without stage.json (published by a test, or gc'd meanwhile) still gets its link.
    await cp(path.join(entryDir, STAGE_RECORD), path.join(dir, STAGE_RECORD)).catch(() => undefined);
  }

  /** Copies a log written elsewhere to logs/<stage-id>.log; false when it is not readable here. */
  async copyLog(stageId: string, from: string): Promise<boolean> {
    try {
      await mkdir(path.dirname(this.logFile(stageId)), { recursive: true });
      await cp(from, this.logFile(stageId));
      return true;
    } catch {
      return false;
    }
  }

  /** The report stage's files, copied so the run directory stands alone. */
  async copyReport(entryDir: string): Promise<string[]> {
    const copied: string[] = [];
    const reserved = new Set([
      STAGE_RECORD,
      RUN_RECORD,
      'stages',
      'logs',
      'pipeline.yaml',
      'resolved.json',
      'dag.json',
    ]);
    for (const name of await readdir(entryDir).catch(() => [] as string[])) {
      if (reserved.has(name)) continue;
      await cp(path.join(entryDir, name), path.join(this.dir, name), { recursive: true });
      copied.push(name);
    }
    return copied;
  }

  /** runs/<pipeline>/latest -> <run-id>, swapped atomically. */
  async markLatest(): Promise<void> {
    await replaceSymlink(this.runId, path.join(this.pipelineDir, LATEST_LINK));
  }
}

async function replaceSymlink(target: string, link: string): Promise<void> {
  const tmp = `${link}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  await symlink(target, tmp);
  await rename(tmp, link);
}

/** Every run directory under runsDir with its record (unreadable ones skipped). */
export async function listRuns(runsDir: string): Promise<{ dir: string; record: RunRecord }[]> {
  const out: { dir: string; record: RunRecord }[] = [];
  for (const pipeline of await readdir(runsDir).catch(() => [] as string[])) {
    const pdir = path.join(runsDir, pipeline);
    for (const id of await readdir(pdir).catch(() => [] as string[])) {
      if (id === LATEST_LINK) continue;
      try {
        const record = await readRunRecord(path.join(pdir, id, RUN_RECORD));
        out.push({ dir: path.join(pdir, id), record });
      } catch (err) {
        // Not a run directory (or one being created, or damaged): listings skip it; scanRuns reports it.
        if (!isUserFacing(err)) throw err;
      }
    }
  }
  return out.sort((a, b) => String(a.record.startedAt ?? '').localeCompare(String(b.record.startedAt ?? '')));
}

export interface RunsScan {
  runs: { dir: string; record: RunRecord }[];
  /** run.json files (or run folders without one) that could not be read: gc must not guess. */
  unreadable: { file: string; why: string }[];
}

/** Like listRuns, but says which run folders it could not read instead of skipping them. */
export async function scanRuns(runsDir: string): Promise<RunsScan> {
  const scan: RunsScan = { runs: [], unreadable: [] };
  for (const pipeline of await readdir(runsDir, { withFileTypes: true })) {
    if (!pipeline.isDirectory()) continue;
    const pdir = path.join(runsDir, pipeline.name);
    for (const id of await readdir(pdir, { withFileTypes: true })) {
      if (!id.isDirectory() || id.name === 'latest') continue;
      const file = path.join(pdir, id.name, RUN_RECORD);
      try {
        const record = await readRunRecord(file);
        if (typeof record.stages !== 'object' || record.stages === null) throw new Error('no "stages" object');
        scan.runs.push({ dir: path.join(pdir, id.name), record });
      } catch (err) {
        const missing = err instanceof FileFormatError && err.problem === DOES_NOT_EXIST;
        scan.unreadable.push({ file, why: missing ? 'missing' : (err as Error).message });
      }
    }
  }
  return scan;
}

export async function readLatest(runsDir: string, pipeline: string): Promise<string | undefined> {
  try {
    return path.join(runsDir, safeName(pipeline), await readlink(path.join(runsDir, safeName(pipeline), LATEST_LINK)));
  } catch {
    return undefined;
  }
}

export async function removeRunDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
