// Walks the DAG: a stage starts as soon as its dependencies are done or cached, at most `jobs` at
// once. Failure policy skip-dependents: a failed stage skips what needs it; the rest finishes.
import type { Dag } from '../compiler/types.js';
import type { StageEnv } from '../stages/types.js';
import type { RunEvent } from './events.js';
import { dependentsMap, depsOf, descendants, globMatcher, selectStages, topologicalOrder } from './graph.js';
import type { ArtefactStore, Executor, StageJob, StageOutcome } from './types.js';

export type StageStatus =
  'pending' | 'running' | 'done' | 'cached' | 'failed' | 'skipped' | 'not-selected' | 'interrupted';

export type OnError = 'skip-dependents' | 'stop';

export interface StageRun {
  status: StageStatus;
  fingerprint: string;
  seconds?: number;
  error?: string;
  logFile?: string;
  worker?: string;
  reason?: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface ScheduleOptions {
  dag: Dag;
  /** Stage id -> fingerprint. */
  fingerprints: Record<string, string>;
  store: ArtefactStore;
  executor: Executor;
  env: StageEnv;
  jobs: number;
  /** Run only stages matching this glob (comma-separated globs) and what they need. */
  only?: string;
  /** Recompute stages matching this glob even when cached. */
  force?: string;
  /**
   * After a failure: `skip-dependents` (default) skips what needs the failed stage and runs the rest;
   * `stop` starts nothing new (running stages finish).
   */
  onError?: OnError;
  logFileFor?(stageId: string): string | undefined;
  emit(e: RunEvent): void;
  /** Called after each stage settles (done/cached/failed), e.g. to write run-directory pointers. */
  onSettled?(stageId: string, run: StageRun): Promise<void> | void;
  signal?: AbortSignal;
}

// eslint-disable-next-line max-lines-per-function -- the scheduler loop and its failure policy; to split next
export async function scheduleDag(o: ScheduleOptions): Promise<Record<string, StageRun>> {
  const order = topologicalOrder(o.dag);
  const selected = selectStages(o.dag, o.only);
  const forced = globMatcher(o.force);
  const dependents = dependentsMap(o.dag);
  const runs: Record<string, StageRun> = {};
  for (const id of order) {
    runs[id] = { status: selected.has(id) ? 'pending' : 'not-selected', fingerprint: o.fingerprints[id]! };
    if (!selected.has(id)) o.emit({ type: 'stageSkipped', stageId: id, reason: 'not selected by --only' });
  }

  const running = new Map<string, Promise<void>>();
  const jobs = Math.max(1, o.jobs);

  const settle = async (id: string, run: StageRun) => {
    runs[id] = run;
    if (run.status === 'failed') {
      for (const d of descendants(o.dag, id, dependents)) {
        if (runs[d]!.status !== 'pending') continue;
        runs[d] = { ...runs[d]!, status: 'skipped', reason: `dependency ${id} failed` };
        o.emit({ type: 'stageSkipped', stageId: d, reason: `dependency ${id} failed` });
      }
    }
    await o.onSettled?.(id, run);
  };

  // eslint-disable-next-line max-lines-per-function -- starts and settles one stage; to split with scheduleDag
  const launch = (id: string) => {
    const stage = o.dag.stages[id]!;
    const fingerprint = o.fingerprints[id]!;
    const inputs: Record<string, string> = {};
    for (const [name, up] of Object.entries(stage.inputs)) inputs[name] = o.fingerprints[up]!;
    const logFile = o.logFileFor?.(id);
    const job: StageJob = {
      stageId: id,
      kind: stage.kind,
      fingerprint,
      params: stage.params,
      inputs,
      env: o.env,
      ...(forced(id) ? { force: true } : {}),
      ...(logFile ? { logFile } : {}),
    };
    const startedAt = new Date().toISOString();
    runs[id] = { ...runs[id]!, status: 'running', startedAt };
    o.emit({ type: 'stageScheduled', stageId: id, fingerprint });
    o.emit({ type: 'stageStarted', stageId: id, fingerprint });
    const signal = o.signal ?? new AbortController().signal;
    const p = Promise.resolve()
      .then(() =>
        o.executor.run(job, {
          signal,
          onProgress: (stageId, progress) => o.emit({ type: 'stageProgress', stageId, progress }),
        }),
      )
      .catch((err: unknown): StageOutcome => ({
        stageId: id,
        fingerprint,
        status: 'failed',
        error: `executor ${o.executor.name} failed: ${err instanceof Error ? err.message : String(err)}`,
        seconds: 0,
      }))
      .then(async (out) => {
        const finishedAt = new Date().toISOString();
        const base = {
          fingerprint,
          seconds: out.seconds,
          startedAt,
          finishedAt,
          worker: out.worker,
          logFile: out.logFile ?? logFile,
        };
        if (out.status === 'done' && out.computedBy) {
          // Another run computed it while this one waited for the lock: cached, by that worker.
          o.emit({ type: 'stageCached', stageId: id, fingerprint });
          const reason = `computed by ${out.computedBy} while this run waited`;
          await settle(id, { ...base, status: 'cached', worker: out.computedBy, reason });
        } else if (out.status === 'done') {
          o.emit({ type: 'stageFinished', stageId: id, fingerprint, seconds: out.seconds });
          await settle(id, { ...base, status: 'done' });
        } else if (signal.aborted) {
          o.emit({ type: 'stageSkipped', stageId: id, reason: 'interrupted' });
          await settle(id, { ...base, status: 'interrupted', error: out.error });
        } else {
          o.emit({
            type: 'stageFailed',
            stageId: id,
            fingerprint,
            error: out.error ?? 'failed',
            logFile: base.logFile,
          });
          await settle(id, { ...base, status: 'failed', error: out.error });
        }
      })
      .finally(() => running.delete(id));
    running.set(id, p);
  };

  const stopped = () => o.onError === 'stop' && Object.values(runs).some((r) => r.status === 'failed');
  for (;;) {
    const aborted = (o.signal?.aborted ?? false) || stopped();
    let changed = false;
    for (const id of order) {
      if (aborted) break;
      if (runs[id]!.status !== 'pending' || running.size >= jobs) continue;
      const deps = depsOf(o.dag, id).map((d) => runs[d]!.status);
      if (!deps.every((s) => s === 'done' || s === 'cached')) continue;
      if (!forced(id) && (await o.store.lookup(o.fingerprints[id]!))) {
        o.emit({ type: 'stageCached', stageId: id, fingerprint: o.fingerprints[id]! });
        await settle(id, { status: 'cached', fingerprint: o.fingerprints[id]! });
      } else {
        launch(id);
      }
      changed = true;
    }
    if (running.size === 0 && !changed) break;
    if (running.size > 0 && !changed) await Promise.race(running.values());
  }

  for (const id of order) {
    if (runs[id]!.status === 'pending') {
      const reason = o.signal?.aborted
        ? 'interrupted'
        : stopped()
          ? 'run stopped after a failure (--on-error stop)'
          : 'not reachable';
      runs[id] = { ...runs[id]!, status: o.signal?.aborted ? 'interrupted' : 'skipped', reason };
      o.emit({ type: 'stageSkipped', stageId: id, reason });
    }
  }
  return runs;
}
