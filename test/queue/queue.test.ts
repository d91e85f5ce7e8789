// End to end: a real redis-server, two `pipe worker` processes, the queue executor as coordinator.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeStageJob } from '../../src/runtime/execute-stage.js';
import { createQueueExecutor } from '../../src/runtime/queue/executor.js';
import { DirectoryStore } from '../../src/runtime/store.js';
import type { Executor, StageOutcome } from '../../src/runtime/types.js';
import {
  fp,
  readStarts,
  runDag,
  startWorker,
  stopWorker,
  sweepDag,
  TEST_STAGES,
  type WorkerProcess,
} from './helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

const VARIANTS = [1, 2, 3, 4].map((i) => i / 10);

let redis: TestRedis;
let dir: string;
let cacheDir: string;
let stageLog: string;
let workers: WorkerProcess[] = [];
const queue = 'pipe-test';

function workerEnv(): Record<string, string> {
  return { PIPE_STAGE_MODULES: TEST_STAGES, PIPE_TEST_STAGE_LOG: stageLog };
}

const workerArgs = () => [
  '--redis',
  redis.url,
  '--queue',
  queue,
  '--cache-dir',
  cacheDir,
  '--lock-duration',
  '2000',
  '--stalled-interval',
  '1000',
];

function metricsOf(store: DirectoryStore, outcomes: Record<string, StageOutcome>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [id, o] of Object.entries(outcomes)) {
    if (!id.startsWith('evaluate/')) continue;
    out[id] = JSON.parse(readFileSync(path.join(store.entryDir(o.fingerprint), 'metrics.json'), 'utf8'));
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pipe-queue-'));
  cacheDir = path.join(dir, 'cache');
  stageLog = path.join(dir, 'stages.jsonl');
  // The coordinator's own children (local reference run) load the same test stages.
  process.env.PIPE_STAGE_MODULES = TEST_STAGES;
  redis = await startRedis();
  workers = await Promise.all([
    startWorker('w1', workerArgs(), workerEnv()),
    startWorker('w2', workerArgs(), workerEnv()),
  ]);
});

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('queue executor with two workers', () => {
  it('runs a 4-variant sweep once per stage, survives a SIGKILLed worker and matches a local run', async () => {
    const dag = sweepDag('sweep', VARIANTS, dir);
    const store = new DirectoryStore(cacheDir);
    const executor = createQueueExecutor({ redis: redis.url, queue, retries: 1, backoffMs: 200, store });
    const seenWorkers = new Set<string>();
    let killed: { stageId: string; step: number } | undefined;
    const outcomes = await runDag(dag, executor, (stageId, p) => {
      if (p.worker) seenWorkers.add(p.worker);
      // Kill w1 in the middle of a training stage: its job stalls and w2 resumes it.
      if (!killed && p.worker === 'w1' && stageId.startsWith('train/') && (p.step ?? 0) >= 4) {
        killed = { stageId, step: p.step! };
        workers[0]!.proc.kill('SIGKILL');
      }
    });
    await executor.close();

    expect(killed, 'w1 never ran a training stage').toBeDefined();
    for (const o of Object.values(outcomes)) expect(o.status, `${o.stageId}: ${o.error}`).toBe('done');
    expect(seenWorkers).toEqual(new Set(['w1', 'w2']));

    // Every stage is published once and started once, except the killed one, which was resumed
    // from its checkpoint rather than started over.
    const starts = readStarts(stageLog).filter((s) => s.event === 'start');
    const killedFp = dag.jobs.find((j) => j.stageId === killed!.stageId)!.fingerprint;
    for (const job of dag.jobs) {
      const mine = starts.filter((s) => s.fp === job.fingerprint);
      expect(await store.lookup(job.fingerprint), job.stageId).toBeDefined();
      if (job.fingerprint !== killedFp) {
        expect(mine.length, `${job.stageId} started ${mine.length} times`).toBe(1);
      } else {
        expect(mine.length).toBe(2);
        expect(mine[1]!.from).toBeGreaterThan(0);
        expect(mine[1]!.from).toBeLessThanOrEqual(killed!.step + 1);
      }
    }
    // The killed worker's stage process stopped with it (it did not train on beside the resumed one).
    const finishes = readStarts(stageLog).filter((s) => s.event === 'finish' && s.fp === killedFp);
    expect(finishes.map((s) => s.pid)).toEqual([starts.filter((s) => s.fp === killedFp)[1]!.pid]);
    // It came back through BullMQ's stalled-job check (not as a failed attempt).
    expect(workers[1]!.output()).toMatch(new RegExp(`job ${killedFp.slice(0, 12)} lost its worker`));

    // The same DAG run in this process into a separate cache gives the same metrics (the real
    // pipeline against the local executor is in real-pipeline.test.ts).
    const localStore = new DirectoryStore(path.join(dir, 'local-cache'));
    const inProcess: Executor = {
      name: 'in-process',
      run: (job) => executeStageJob(job, localStore),
      close: async () => {},
    };
    const localOutcomes = await runDag(sweepDag('sweep', VARIANTS, dir), inProcess);
    for (const o of Object.values(localOutcomes)) expect(o.status, `${o.stageId}: ${o.error}`).toBe('done');
    const metrics = metricsOf(store, outcomes);
    expect(Object.keys(metrics)).toHaveLength(4);
    expect(metrics).toEqual(metricsOf(localStore, localOutcomes));

    // A second coordinator finds everything done: through the shared store, and without the store
    // (a restarted coordinator re-attaching to the finished jobs in Redis by fingerprint).
    const before = readStarts(stageLog).length;
    for (const withStore of [true, false]) {
      const again = createQueueExecutor({ redis: redis.url, queue, ...(withStore ? { store } : {}) });
      const second = await runDag(sweepDag('sweep', VARIANTS, dir), again);
      await again.close();
      for (const o of Object.values(second)) expect(o.status).toBe('done');
      if (withStore) for (const o of Object.values(second)) expect(o.worker).toBe('cache');
    }
    expect(readStarts(stageLog).length).toBe(before);
  });

  it('queues a stage once when two coordinators ask for it at the same time', async () => {
    const dag = sweepDag('twice', [0.5], dir, 3, 50);
    const a = createQueueExecutor({ redis: redis.url, queue });
    const b = createQueueExecutor({ redis: redis.url, queue });
    const [ra, rb] = await Promise.all([runDag(dag, a), runDag(dag, b)]);
    await Promise.all([a.close(), b.close()]);
    for (const o of [...Object.values(ra), ...Object.values(rb)]) expect(o.status, o.error).toBe('done');
    const starts = readStarts(stageLog).filter((s) => s.event === 'start');
    for (const job of dag.jobs) expect(starts.filter((s) => s.fp === job.fingerprint)).toHaveLength(1);
  });

  it('lets a restarted coordinator re-attach to a running job instead of queueing it again', async () => {
    const dag = sweepDag('restart', [0.7], dir, 10, 100);
    const train = dag.jobs[1];
    const store = new DirectoryStore(cacheDir);
    // The data stage first, so that the train job can start right away.
    const first = createQueueExecutor({ redis: redis.url, queue, store });
    expect((await first.run(dag.jobs[0]!, { onProgress: () => {}, signal: new AbortController().signal })).status).toBe(
      'done',
    );
    const stop = new AbortController();
    const gone = await first.run(train!, {
      onProgress: (_id, p) => {
        if ((p.step ?? 0) >= 2) stop.abort();
      },
      signal: stop.signal,
    });
    await first.close();
    expect(gone.status).toBe('failed');
    expect(gone.error).toMatch(/cancelled/);

    const second = createQueueExecutor({ redis: redis.url, queue, store });
    const outcome = await second.run(train!, { onProgress: () => {}, signal: new AbortController().signal });
    await second.close();
    expect(outcome.status, outcome.error).toBe('done');
    const starts = readStarts(stageLog).filter((s) => s.event === 'start' && s.fp === train!.fingerprint);
    expect(starts).toHaveLength(1);
  });

  it('retries a failing stage, then reports its error', async () => {
    const executor = createQueueExecutor({ redis: redis.url, queue, retries: 1, backoffMs: 100 });
    const job = {
      stageId: 'broken',
      kind: 'qfail',
      fingerprint: fp('qfail'),
      params: {},
      inputs: {},
      env: { projectDir: dir, backend: 'cpu' as const, downloadDir: dir },
    };
    const outcome = await executor.run(job, { onProgress: () => {}, signal: new AbortController().signal });
    await executor.close();
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('qfail always fails');
    expect(readStarts(stageLog).filter((s) => s.fp === job.fingerprint)).toHaveLength(2);

    // A later run asks for the stage again: the failed job is retried with fresh attempts, not
    // reported from Redis's memory of the last failure.
    const later = createQueueExecutor({ redis: redis.url, queue, backoffMs: 100 });
    const again = await later.run(job, { onProgress: () => {}, signal: new AbortController().signal });
    await later.close();
    expect(again.status).toBe('failed');
    expect(readStarts(stageLog).filter((s) => s.fp === job.fingerprint)).toHaveLength(4);
  });

  it('tells a worker whose cache lacks the inputs to use the shared cache dir', async () => {
    const executor = createQueueExecutor({ redis: redis.url, queue, retries: 0 });
    const job = {
      stageId: 'evaluate/x',
      kind: 'qeval',
      fingerprint: fp('orphan-eval'),
      params: {},
      inputs: { train: fp('never-trained') },
      env: { projectDir: dir, backend: 'cpu' as const, downloadDir: dir },
    };
    const outcome = await executor.run(job, { onProgress: () => {}, signal: new AbortController().signal });
    await executor.close();
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/input "train" .* is not in the cache .* --cache-dir on the same shared storage/);
  });
});
