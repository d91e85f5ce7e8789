// Redis restarted without persistence in the middle of a stage loses every job; the coordinator
// notices behind the events' back (its periodic check) and the run still completes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createQueueExecutor } from '../../src/runtime/queue/executor.js';
import { startQueueWorker, type QueueWorker } from '../../src/runtime/queue/worker.js';
import { DirectoryStore } from '../../src/runtime/store.js';
import { readStarts, sweepDag, TEST_STAGES } from './helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

let redis: TestRedis;
let dir: string;
let worker: QueueWorker | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pipe-queue-restart-'));
  process.env.PIPE_STAGE_MODULES = TEST_STAGES;
  process.env.PIPE_TEST_STAGE_LOG = path.join(dir, 'stages.jsonl');
  redis = await startRedis();
});

afterAll(async () => {
  await worker?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('completes a stage whose job Redis lost in a restart', async () => {
  const cacheDir = path.join(dir, 'cache');
  const store = new DirectoryStore(cacheDir);
  const lines: string[] = [];
  worker = await startQueueWorker({
    redis: redis.url,
    queue: 'r',
    cacheDir,
    name: 'wr',
    lockDurationMs: 2000,
    stalledIntervalMs: 1000,
    log: (l) => lines.push(l),
  });
  const executor = createQueueExecutor({ redis: redis.url, queue: 'r', store, checkIntervalMs: 300 });
  const [data, train] = sweepDag('restart', [0.3], dir, 20, 100).jobs;
  const signal = new AbortController().signal;
  expect((await executor.run(data!, { onProgress: () => {}, signal })).status).toBe('done');

  let restarted: Promise<void> | undefined;
  const outcome = await executor.run(train!, {
    signal,
    onProgress: (_id, p) => {
      if (!restarted && (p.step ?? 0) >= 3) {
        restarted = (async () => {
          await redis.stop();
          redis = await startRedis([], redis.port);
        })();
      }
    },
  });
  await restarted;
  await executor.close();
  expect(restarted, 'the stage never reported progress').toBeDefined();
  expect(outcome.status, `${outcome.error}\n${lines.join('\n')}`).toBe('done');
  expect(await store.lookup(train!.fingerprint)).toBeDefined();
  // Trained to the end once: a second attempt, if the job was queued again, found it published.
  const finishes = readStarts(path.join(dir, 'stages.jsonl')).filter(
    (s) => s.fp === train!.fingerprint && s.event === 'finish',
  );
  expect(finishes).toHaveLength(1);
});
