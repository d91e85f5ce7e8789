// The Redis URL's password and database reach every connection (queue, events, worker): a real
// redis-server with requirepass, a worker in this process, one stage.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createQueueExecutor } from '../../src/runtime/queue/executor.js';
import { startQueueWorker, type QueueWorker } from '../../src/runtime/queue/worker.js';
import { DirectoryStore } from '../../src/runtime/store.js';
import { fp, TEST_STAGES } from './helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

let redis: TestRedis;
let dir: string;
let worker: QueueWorker | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pipe-queue-auth-'));
  process.env.PIPE_STAGE_MODULES = TEST_STAGES;
  redis = await startRedis(['--requirepass', 's3cr@t']);
});

afterAll(async () => {
  await worker?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('connects with a password and database from the URL', async () => {
  const url = `redis://:${encodeURIComponent('s3cr@t')}@127.0.0.1:${redis.port}/3`;
  const cacheDir = path.join(dir, 'cache');
  const lines: string[] = [];
  worker = await startQueueWorker({ redis: url, queue: 'auth', cacheDir, name: 'wa', log: (l) => lines.push(l) });
  const executor = createQueueExecutor({ redis: url, queue: 'auth' });
  const job = { stageId: 'data', kind: 'qdata', fingerprint: fp('auth/data'), params: { size: 3 }, inputs: {}, env: { projectDir: dir, backend: 'cpu' as const, downloadDir: dir } };
  const outcome = await executor.run(job, { onProgress: () => {}, signal: new AbortController().signal });
  await executor.close();
  expect(outcome.status, outcome.error).toBe('done');
  expect(outcome.worker).toBe('wa');
  expect(await new DirectoryStore(cacheDir).lookup(job.fingerprint)).toBeDefined();
  // The password never reaches the worker's log.
  expect(lines.join('\n')).toContain('redis://:***@127.0.0.1');
  expect(lines.join('\n')).not.toContain('s3cr');
});

it('refuses a wrong password with the Redis error', async () => {
  const executor = createQueueExecutor({ redis: `redis://:wrong@127.0.0.1:${redis.port}`, queue: 'auth' });
  const job = { stageId: 'data', kind: 'qdata', fingerprint: fp('auth/wrong'), params: { size: 3 }, inputs: {}, env: { projectDir: dir, backend: 'cpu' as const, downloadDir: dir } };
  const outcome = await executor.run(job, { onProgress: () => {}, signal: new AbortController().signal });
  await executor.close();
  expect(outcome.status).toBe('failed');
  expect(outcome.error).toMatch(/WRONGPASS|invalid username-password|NOAUTH/i);
});
