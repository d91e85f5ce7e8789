// Runs one stage in the current process: resolve inputs, prepare outDir/workDir, run the kind,
// publish atomically. Independent of any scheduler, so local children and queue workers share it.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { isUserFacing, PipeError } from '../core/errors.js';
import { loadStageKind } from '../stages/index.js';
import type { StageProgress } from '../core/progress.js';
import type { StageResult } from '../stages/types.js';
import { engineVersion } from './engine-version.js';
import { acquireStageLock, type StageLock } from './stage-lock.js';
import { DirectoryStore } from './store.js';
import type { ArtefactStore, StageJob, StageOutcome } from './types.js';
import { isProcessAlive } from './process-alive.js';
import { STAGE_RECORD_FORMAT, type StageRecord } from '../core/formats/stage-record.js';

export interface ExecuteHooks {
  onProgress?(p: StageProgress): void;
  onLog?(line: string): void;
  signal?: AbortSignal;
}

export function workerId(): string {
  return `${hostname()}:${process.pid}`;
}

// eslint-disable-next-line max-lines-per-function -- lock, work dir, run, rename: one publish sequence; to split next
export async function executeStageJob(
  job: StageJob,
  store: ArtefactStore,
  hooks: ExecuteHooks = {},
): Promise<StageOutcome> {
  const started = Date.now();
  const log = (line: string) => hooks.onLog?.(line);
  const outcome = (status: 'done' | 'failed', error?: string): StageOutcome => ({
    stageId: job.stageId,
    fingerprint: job.fingerprint,
    status,
    ...(error ? { error } : {}),
    ...(job.logFile ? { logFile: job.logFile } : {}),
    seconds: (Date.now() - started) / 1000,
    worker: workerId(),
  });

  // The entry appeared without this process computing it: say who did, so the run reports it as cached.
  const byOther = async (): Promise<StageOutcome> => {
    const rec = store instanceof DirectoryStore ? await store.readRecord(job.fingerprint) : undefined;
    return { ...outcome('done'), computedBy: typeof rec?.worker === 'string' ? rec.worker : 'another process' };
  };

  if (!job.force && (await store.lookup(job.fingerprint))) {
    log(`${job.stageId}: already in the cache (published by another process)`);
    return byOther();
  }

  let outDir: string | undefined;
  let lock: StageLock | undefined;
  try {
    if (store instanceof DirectoryStore) {
      lock = await acquireStageLock(store.lockPath(job.fingerprint), job.stageId, {
        signal: hooks.signal,
        onWait: (owner) =>
          log(
            `${job.stageId}: waiting for ${owner ? `${owner.host}:${owner.pid}` : 'another process'}, which is computing the same stage`,
          ),
        // A forced recompute waits for the lock; otherwise the other process's entry will do.
        ...(job.force ? {} : { done: async () => !!(await store.lookup(job.fingerprint)) }),
      });
      if (!lock) {
        log(`${job.stageId}: published by the other process meanwhile`);
        return byOther();
      }
      if (!job.force && (await store.lookup(job.fingerprint))) return byOther();
    }
    const kind = await loadStageKind(job.kind);
    const inputs: Record<string, string> = {};
    for (const [name, fp] of Object.entries(job.inputs)) {
      const dir = await store.lookup(fp);
      if (!dir) throw new InputMissingError(name, fp);
      inputs[name] = dir;
    }
    const workDir = await store.workDir(job.fingerprint);
    await removeStaleOutDirs(workDir);
    outDir = path.join(workDir, `out-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`);
    await mkdir(outDir, { recursive: true });

    log(`${job.stageId}: ${job.kind} v${kind.version} fingerprint ${job.fingerprint} worker ${workerId()}`);
    const startedAt = new Date().toISOString();
    const result: StageResult =
      (await kind.run({
        stageId: job.stageId,
        fingerprint: job.fingerprint,
        params: job.params,
        inputs,
        outDir,
        workDir,
        env: job.env,
        progress: (p) => hooks.onProgress?.(p),
        log,
        signal: hooks.signal ?? new AbortController().signal,
      })) ?? {};
    if (hooks.signal?.aborted) throw new StageInterruptedError();

    const finishedAt = new Date().toISOString();
    await store.publish(
      job.fingerprint,
      outDir,
      {
        format: STAGE_RECORD_FORMAT,
        stageId: job.stageId,
        kind: job.kind,
        kindVersion: kind.version,
        fingerprint: job.fingerprint,
        params: job.params,
        inputs: job.inputs,
        startedAt,
        finishedAt,
        seconds: (Date.now() - started) / 1000,
        backend: result.backend ?? null,
        summary: result.summary ?? null,
        engine: engineVersion(),
        worker: workerId(),
      } satisfies StageRecord,
      { replace: job.force },
    );
    outDir = undefined;
    // Checkpoints are only useful to an unfinished stage.
    await rm(workDir, { recursive: true, force: true });
    log(`${job.stageId}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return outcome('done');
  } catch (err) {
    // Best-effort cleanup of the failed attempt (stale ones are swept later); the stage's error is what counts.
    if (outDir) await rm(outDir, { recursive: true, force: true }).catch(() => undefined);
    const message = describeStageError(err);
    log(`${job.stageId}: FAILED: ${message}`);
    if (!isUserFacing(err) && err instanceof Error && err.stack) log(err.stack);
    return outcome('failed', message);
  } finally {
    await lock?.release();
  }
}

class InputMissingError extends PipeError {
  constructor(name: string, fp: string) {
    super(
      'PIPE_INPUT_MISSING',
      `input "${name}" (fingerprint ${fp.slice(0, 12)}) is not in the cache; was the cache cleaned while the run was going? Rerun the pipeline.`,
    );
  }
}

class StageInterruptedError extends PipeError {
  constructor() {
    super('PIPE_INTERRUPTED', 'interrupted; rerun the pipeline to continue from the last checkpoint');
  }
}

export function describeStageError(err: unknown): string {
  if (isUserFacing(err)) return err.message.replace(/\s*\n\s*/g, ' ');
  if (err instanceof Error) return `${err.name}: ${err.message.split('\n')[0]} (stack trace in the log)`;
  return String(err);
}

/** Out folders of attempts on this host whose process is gone (killed runs). */
async function removeStaleOutDirs(workDir: string): Promise<void> {
  const host = hostname();
  for (const name of await readdir(workDir).catch(() => [] as string[])) {
    const m = /^out-(.+)-(\d+)-[0-9a-f]+$/.exec(name);
    if (!m || m[1] !== host) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && isProcessAlive(pid)) continue;
    await rm(path.join(workDir, name), { recursive: true, force: true });
  }
}
