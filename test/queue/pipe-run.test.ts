// `pipe run --executor queue` from the command line: the real compiler, scheduler, run directory
// and progress output, with two `pipe worker` processes and the runtime's fast test stage kinds
// (test/runtime/fixtures/kinds.ts replaces dataset/train/evaluate/report).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stageChildCommand } from '../../src/runtime/child-command.js';
import { REPO_DIR } from '../shared-paths.js';
import { startWorker, stopWorker, type WorkerProcess } from './helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

const KINDS = path.join(REPO_DIR, 'test/runtime/fixtures/kinds.ts');
const VARIANTS = ['a', 'b', 'c', 'd'];

let redis: TestRedis;
let dir: string;
let workers: WorkerProcess[] = [];
let pipeline: string;

function pipe(args: string[]): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, [...stageChildCommand().nodeOptions, path.join(REPO_DIR, 'src/cli.ts'), ...args], {
    cwd: dir,
    env: { ...process.env, PIPE_CLI_ENTRY: '1', PIPE_STAGE_MODULES: KINDS, PIPE_TEST_STEP_MS: '100', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, out })));
}

interface RunJson {
  status: string;
  executor: string;
  stages: Record<string, { status: string; worker?: string; cacheEntry?: string }>;
}

function runJson(runsDir: string): RunJson {
  return JSON.parse(readFileSync(path.join(runsDir, 'tiny4', 'latest', 'run.json'), 'utf8')) as RunJson;
}

function evaluateMetrics(run: RunJson): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(run.stages)) {
    if (id.startsWith('evaluate/')) out[id] = JSON.parse(readFileSync(path.join(s.cacheEntry!, 'metrics.json'), 'utf8'));
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pipe-queue-run-'));
  const base = readFileSync(path.join(REPO_DIR, 'test/runtime/fixtures/tiny.yaml'), 'utf8');
  const variants = VARIANTS.map((v, i) => `  ${v}: { train.seed: ${i + 1} }`).join('\n');
  pipeline = path.join(dir, 'tiny4.yaml');
  writeFileSync(pipeline, base.replace(/^variants:\n(?:  .*\n)+/m, `variants:\n${variants}\n`).replace('name: tiny', 'name: tiny4'));
  redis = await startRedis();
  const args = ['--redis', redis.url, '--queue', 'cli', '--cache-dir', path.join(dir, 'shared-cache')];
  const env = { PIPE_STAGE_MODULES: KINDS, PIPE_TEST_STEP_MS: '100' };
  workers = await Promise.all([startWorker('w1', args, env), startWorker('w2', args, env)]);
});

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('runs a 4-variant pipeline on two workers, then finds it cached', async () => {
  const queueArgs = ['--executor', 'queue', '--redis', redis.url, '--queue', 'cli', '--cache-dir', path.join(dir, 'shared-cache')];
  const first = await pipe(['run', pipeline, ...queueArgs, '--runs-dir', path.join(dir, 'runs-q')]);
  expect(first.code, first.out).toBe(0);
  const run = runJson(path.join(dir, 'runs-q'));
  expect(run.executor).toBe('queue');
  const ids = Object.keys(run.stages);
  expect(ids).toHaveLength(2 + 2 * VARIANTS.length);
  for (const [id, s] of Object.entries(run.stages)) {
    expect(s.status, id).toBe('done');
    expect(['w1', 'w2'], id).toContain(s.worker);
  }
  // Both workers took stages: the four trains ran side by side, not one after another.
  expect(new Set(Object.values(run.stages).map((s) => s.worker))).toEqual(new Set(['w1', 'w2']));

  const again = await pipe(['run', pipeline, ...queueArgs, '--runs-dir', path.join(dir, 'runs-q2')]);
  expect(again.code, again.out).toBe(0);
  for (const [id, s] of Object.entries(runJson(path.join(dir, 'runs-q2')).stages)) expect(s.status, id).toBe('cached');

  // Same metrics as the test kinds compute locally (the local comparison of a sweep with a killed
  // worker is in queue.test.ts): evaluate writes ssim 0.5 + seed/100.
  const metrics = evaluateMetrics(run);
  expect(metrics).toEqual(Object.fromEntries(VARIANTS.map((v, i) => [`evaluate/${v}`, { ssim: 0.5 + (i + 1) / 100, epochs: 3 }])));
});
