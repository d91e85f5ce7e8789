// The coordinator's periodic check finds a stage's entry in the store while its job is still active. Either the
// job's own worker published a moment ago and is about to return: the outcome waits for it and names the worker. Or
// another process published the same stage first: the coordinator does not wait for the redundant job to finish.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createQueueExecutor } from '../../src/runtime/queue/executor.js';
import { startQueueWorker, type QueueWorker } from '../../src/runtime/queue/worker.js';
import { DirectoryStore } from '../../src/runtime/store.js';
import type { StageJob, StageOutcome } from '../../src/runtime/types.js';
import { readStarts, sweepDag, TEST_STAGES } from './helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

let redis: TestRedis;
let dir: string;
let store: DirectoryStore;
let worker: QueueWorker | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pipe-queue-published-'));
  process.env.PIPE_STAGE_MODULES = TEST_STAGES;
  process.env.PIPE_TEST_STAGE_LOG = path.join(dir, 'stages.jsonl');
  redis = await startRedis();
  store = new DirectoryStore(path.join(dir, 'cache'));
  worker = await startQueueWorker({ redis: redis.url, queue: 'p', cacheDir: store.root, name: 'wp', log: () => {} });
});

afterAll(async () => {
  worker?.abort();
  await worker?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Publishes a complete entry for `job` as another process would, while its queued job still runs. */
async function publishElsewhere(job: StageJob): Promise<void> {
  const work = path.join(dir, `elsewhere-${job.fingerprint}`);
  mkdirSync(work);
  writeFileSync(path.join(work, 'model.json'), JSON.stringify({ w: 0 }));
  await store.publish(job.fingerprint, work, { kind: job.kind, fingerprint: job.fingerprint });
}

/**
 * Runs `tag`'s data stage, then its train stage, publishing the train entry once the job reports step 2. Returns the
 * train outcome and how many times the train stage itself had finished by then.
 */
async function trainPublishedAtStep2(
  tag: string,
  steps: number,
  stepMs: number,
): Promise<{ outcome: StageOutcome; finishes: number }> {
  const executor = createQueueExecutor({ redis: redis.url, queue: 'p', store, checkIntervalMs: 200 });
  const [data, train] = sweepDag(tag, [0.4], dir, steps, stepMs).jobs;
  const signal = new AbortController().signal;
  expect((await executor.run(data!, { onProgress: () => {}, signal })).status).toBe('done');
  let published: Promise<void> | undefined;
  const outcome = await executor.run(train!, {
    signal,
    onProgress: (_id, p) => {
      if (!published && (p.step ?? 0) >= 2) published = publishElsewhere(train!);
    },
  });
  await executor.close();
  expect(published, 'the train stage never reported step 2').toBeDefined();
  await published;
  const starts = readStarts(path.join(dir, 'stages.jsonl'));
  return { outcome, finishes: starts.filter((s) => s.event === 'finish' && s.fp === train!.fingerprint).length };
}

it('waits the moment a job that is about to finish needs, and names its worker', async () => {
  // 8 steps of 100 ms: the job ends about 0.6 s after the entry appears, well within the coordinator's grace.
  const { outcome, finishes } = await trainPublishedAtStep2('soon', 8, 100);
  expect(outcome.status, outcome.error).toBe('done');
  expect(outcome.worker).toBe('wp');
  expect(finishes).toBe(1);
});

it('does not wait for a redundant job to finish once another process published the stage', async () => {
  // 400 steps of 50 ms: 20 s of redundant work, which the coordinator must not sit through.
  const { outcome, finishes } = await trainPublishedAtStep2('redundant', 400, 50);
  expect(outcome.status, outcome.error).toBe('done');
  expect(finishes, 'the coordinator waited for the redundant job').toBe(0);
});
