// The Redis URL's password, database and TLS reach every connection (queue, events, worker): real
// redis-servers with requirepass and with TLS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueueExecutor } from '../../src/runtime/queue/executor.js';
import { startQueueWorker, type QueueWorker } from '../../src/runtime/queue/worker.js';
import { DirectoryStore } from '../../src/runtime/store.js';
import { fp, startWorker, stopWorker, TEST_STAGES } from './helpers.js';
import { freePort, startRedis, type TestRedis } from './redis-server.js';

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
  const job = {
    stageId: 'data',
    kind: 'qdata',
    fingerprint: fp('auth/data'),
    params: { size: 3 },
    inputs: {},
    env: { projectDir: dir, backend: 'cpu' as const, downloadDir: dir },
  };
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
  const job = {
    stageId: 'data',
    kind: 'qdata',
    fingerprint: fp('auth/wrong'),
    params: { size: 3 },
    inputs: {},
    env: { projectDir: dir, backend: 'cpu' as const, downloadDir: dir },
  };
  const outcome = await executor.run(job, { onProgress: () => {}, signal: new AbortController().signal });
  await executor.close();
  expect(outcome.status).toBe('failed');
  expect(outcome.error).toMatch(/WRONGPASS|invalid username-password|NOAUTH/i);
});

describe('rediss:// (TLS)', () => {
  let tlsRedis: TestRedis | undefined;
  let ca = '';
  let tlsPort = 0;

  beforeAll(async () => {
    // A throwaway self-signed certificate for localhost, made at test time (no key in the repo).
    ca = path.join(dir, 'cert.pem');
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        ca,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr || made.error}`);
    tlsPort = await freePort();
    // --port 0: TLS only, so a plain connection cannot succeed by accident.
    tlsRedis = await startRedis(
      [
        '--tls-port',
        String(tlsPort),
        '--tls-cert-file',
        ca,
        '--tls-key-file',
        path.join(dir, 'key.pem'),
        '--tls-auth-clients',
        'no',
        '--requirepass',
        'tlspw',
      ],
      0,
    );
  });

  afterAll(async () => {
    await tlsRedis?.stop();
  });

  it('connects a worker over TLS, checking the certificate against the host name', async () => {
    const url = `rediss://:tlspw@localhost:${tlsPort}`;
    const args = ['--redis', url, '--cache-dir', path.join(dir, 'tls-cache')];
    const trusted = await startWorker('wt', args, { NODE_EXTRA_CA_CERTS: ca });
    await stopWorker(trusted);
    // Without the CA the certificate is refused, and the worker says so instead of hanging.
    const refused = await startWorker('wu', args, {}).then(
      () => 'started',
      (err: Error) => err.message,
    );
    expect(refused).toMatch(/PIPE_REDIS_CONNECT|Cannot use Redis at rediss:\/\/:\*\*\*@localhost/);
    expect(refused).toMatch(/self[- ]signed|certificate/i);
  });
});
