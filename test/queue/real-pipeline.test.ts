// The real pipeline (dataset, train, evaluate, report on facades at 32x32) through
// `pipe run --executor queue` with two `pipe worker` processes. One worker is SIGKILLed while it
// trains; the run still completes, and its metrics equal a local run of the same pipeline.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stageChildCommand } from '../../src/runtime/child-command.js';
import { REPO_DIR, SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../shared-paths.js';
import { startWorker, stopWorker, type WorkerProcess } from './helpers.js';
import { startRedis, type TestRedis } from './redis-server.js';

// Two variants: one for each worker, so the one killed is training. After the kill, the survivor runs everything
// left on its own, and the test then runs the same pipeline locally: its time grows with each variant.
const VARIANTS = ['s1', 's2'];
const PIPELINE = `name: qreal
dataset: { source: facades, layout: aligned, direction: BtoA, load_size: 36, crop_size: 32, max_images: 4 }
model: { kind: pix2pix, generator: unet, ngf: 4, ndf: 4 }
train: { epochs: 12, epochs_decay: 0, batch_size: 1, seed: 1, checkpoint_every: 1 }
variants:
${VARIANTS.map((v, i) => `  ${v}: { train.seed: ${i + 1} }`).join('\n')}
evaluate: { split: val, metrics: [ssim, psnr], max_images: 2 }
report: { samples: 1 }
`;

let redis: TestRedis;
let dir: string;
let workers: WorkerProcess[] = [];
let pipeline: string;

interface RunJson {
  status: string;
  stages: Record<string, { status: string; worker?: string; cacheEntry?: string }>;
}

/** Runs the CLI; `onEvent` sees each --progress json event as it arrives. */
function pipe(
  args: string[],
  onEvent: (e: Record<string, any>) => void = () => {},
): Promise<{ code: number | null; out: string }> {
  const proc = spawn(
    process.execPath,
    [...stageChildCommand().nodeOptions, path.join(REPO_DIR, 'src/cli.ts'), ...args],
    {
      cwd: dir,
      env: {
        ...process.env,
        PIPE_CLI_ENTRY: '1',
        PIPE_DATA_DIR: SHARED_DATA_DIR,
        PIPE_WEIGHTS_DIR: SHARED_WEIGHTS_DIR,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  createInterface({ input: proc.stdout }).on('line', (line) => {
    out += `${line}\n`;
    if (line.startsWith('{')) onEvent(JSON.parse(line) as Record<string, any>);
  });
  proc.stderr.on('data', (d) => (out += d));
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, out })));
}

function runJson(runsDir: string): RunJson {
  return JSON.parse(readFileSync(path.join(runsDir, 'qreal', 'latest', 'run.json'), 'utf8')) as RunJson;
}

/** Per-image metrics of every evaluate stage (timings left out). */
function imageMetrics(run: RunJson): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(run.stages)) {
    if (id.startsWith('evaluate/'))
      out[id] = (
        JSON.parse(readFileSync(path.join(s.cacheEntry!, 'metrics.json'), 'utf8')) as { images: unknown }
      ).images;
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pipe-queue-real-'));
  pipeline = path.join(dir, 'qreal.yaml');
  writeFileSync(pipeline, PIPELINE);
  redis = await startRedis();
  const args = [
    '--redis',
    redis.url,
    '--cache-dir',
    path.join(dir, 'shared-cache'),
    '--data-dir',
    SHARED_DATA_DIR,
    '--weights-dir',
    SHARED_WEIGHTS_DIR,
    '--lock-duration',
    '2000',
    '--stalled-interval',
    '1000',
  ];
  workers = await Promise.all([startWorker('w1', args, {}), startWorker('w2', args, {})]);
});

afterAll(async () => {
  await Promise.all(workers.map(stopWorker));
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('survives a worker killed mid-train with the metrics of a local run, then finds everything cached', async () => {
  const queueArgs = [
    '--executor',
    'queue',
    '--redis',
    redis.url,
    '--cache-dir',
    path.join(dir, 'shared-cache'),
    '--progress',
    'json',
  ];
  let killed: string | undefined;
  const first = await pipe(['run', pipeline, ...queueArgs, '--runs-dir', path.join(dir, 'runs-q')], (e) => {
    if (killed || e.type !== 'stageProgress' || e.progress.worker !== 'w1' || !e.stageId.startsWith('train/')) return;
    if ((e.progress.epoch ?? 0) >= 2 && e.progress.epoch < 12) {
      killed = e.stageId as string;
      workers[0]!.proc.kill('SIGKILL');
    }
  });
  expect(first.code, first.out).toBe(0);
  expect(killed, 'w1 was never seen training').toBeDefined();
  const run = runJson(path.join(dir, 'runs-q'));
  for (const [id, s] of Object.entries(run.stages)) expect(s.status, id).toBe('done');
  expect(run.stages[killed!]!.worker).toBe('w2');
  expect(workers[1]!.output()).toContain('lost its worker');
  const train = JSON.parse(readFileSync(path.join(run.stages[killed!]!.cacheEntry!, 'stage.json'), 'utf8')) as {
    summary: { resumedFromEpoch: number | null };
  };
  expect(train.summary.resumedFromEpoch, 'the killed stage started over instead of resuming').toBeGreaterThanOrEqual(1);

  // The local run starts from the same prepared dataset (copied, so only training and evaluation
  // are compared) and skips the report.
  const dataset = run.stages.dataset!.cacheEntry!;
  cpSync(dataset, path.join(dir, 'local-cache', path.relative(path.join(dir, 'shared-cache'), dataset)), {
    recursive: true,
  });
  const local = await pipe([
    'run',
    pipeline,
    '--jobs',
    '2',
    '--only',
    'evaluate/*',
    '--cache-dir',
    path.join(dir, 'local-cache'),
    '--runs-dir',
    path.join(dir, 'runs-l'),
    '--progress',
    'none',
  ]);
  expect(local.code, local.out).toBe(0);
  const metrics = imageMetrics(run);
  expect(Object.keys(metrics)).toHaveLength(VARIANTS.length);
  expect(metrics).toEqual(imageMetrics(runJson(path.join(dir, 'runs-l'))));

  const again = await pipe(['run', pipeline, ...queueArgs, '--runs-dir', path.join(dir, 'runs-q2')]);
  expect(again.code, again.out).toBe(0);
  for (const [id, s] of Object.entries(runJson(path.join(dir, 'runs-q2')).stages)) expect(s.status, id).toBe('cached');
  // Three pipeline runs and a stalled-job recovery: about 55 s alone here, and CI's two cores are shared with other
  // test files, so twice the suite's default timeout.
}, 240_000);
