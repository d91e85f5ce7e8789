// Times the training step of one benchmark config on one backend, in a process of its own (fresh tfjs state, and
// maxRSS then belongs to this config alone). Prints one JSON line on stdout.
//   node --import tsx bench/step_worker.ts <config> <backend> [--threads N] [--warmup N] [--steps N] [--max-step-s S]
//                                          [--profile] [--profile-wall]
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendRequest } from '../src/ml/backend.js';
import { loadBackbone } from '../src/ml/backbones/index.js';
import { createTrainer } from '../src/ml/train/run.js';
import type { Batch } from '../src/ml/train/types.js';
import { countDispatches } from '../src/ml/webgpu/dispatches.js';
import { configByName, trainParamsFor } from './configs.js';
import { profileStep } from './profile.js';

const argv = process.argv.slice(2);
const flag = (name: string, def: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const [configName, backend] = argv;
const warmup = flag('warmup', 2);
const steps = flag('steps', 5);
const maxStepS = flag('max-step-s', 120);
const threads = flag('threads', 1);
const profile = argv.includes('--profile') || argv.includes('--profile-wall');
// Wall-clock time per kernel: with threads, CPU time adds up every thread and hides what runs alone.
const clock = argv.includes('--profile-wall') ? 'wall' : 'cpu';

export interface WorkerResult {
  config: string;
  backend: string;
  /** Compute threads the backend ran on (wasm: XNNPACK's pool; null where the backend chooses its own). */
  threads: number | null;
  backendInfo?: Record<string, unknown>;
  times_s: number[];
  median_s: number | null;
  max_rss_mb: number;
  /** wasm only: the WebAssembly memory's final size, which only grows: the heap's high-water mark. */
  wasm_heap_mb?: number;
  tensors_after: number;
  /** Compute dispatches of the last timed step (webgpu only; null elsewhere), with the busiest programs. */
  dispatches: number | null;
  dispatches_by_program?: Record<string, number>;
  skipped?: string;
  profile?: unknown;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Random images in [-1, 1]: speed does not depend on the pixels. */
function randomBatch(size: number, seed: number): Batch {
  return {
    A: tf.randomUniform([1, size, size, 3], -1, 1, 'float32', seed) as tf.Tensor4D,
    B: tf.randomUniform([1, size, size, 3], -1, 1, 'float32', seed + 1) as tf.Tensor4D,
  };
}

function wasmHeap(): { wasm_heap_mb?: number } {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? { wasm_heap_mb: Math.round(heap.length / 2 ** 20) } : {};
}

async function main(): Promise<WorkerResult> {
  const c = configByName(configName);
  const info = await initBackend(backend as BackendRequest, { threads });
  const params = trainParamsFor(c);
  // VGG16 and VGG19 are the same network up to relu3_3; the mirror has VGG19 (Keras) weights, no VGG16.
  const extractor = c.perceptual
    ? await loadBackbone({
        name: 'vgg19',
        weights: 'keras',
        layers: ['relu3_3'],
        weightsDir: process.env.PIPE_WEIGHTS_DIR ?? path.resolve(import.meta.dirname, '../../shared/weights'),
      })
    : undefined;
  const calibration = randomBatch(c.size, 0); // normalize: auto's feature scale, as a run's first targets give it
  const trainer = await createTrainer(params, extractor, calibration.B);
  tf.dispose([calibration.A, calibration.B]);
  const times: number[] = [];
  let skipped: string | undefined;
  let prof: unknown;
  let lastDispatches: { total: number; byProgram: Record<string, number> } | undefined;
  for (let i = 0; i < warmup + steps; i++) {
    const batch = randomBatch(c.size, i);
    const t0 = performance.now();
    try {
      if (profile && i === warmup + steps - 1) {
        prof = await profileStep(() => trainer.step(batch, 0.0002, i), clock);
      } else {
        const counted = await countDispatches(() => trainer.step(batch, 0.0002, i));
        if (info.name === 'webgpu') lastDispatches = counted.dispatches;
      }
    } catch (err) {
      // Out of wasm memory is a result here (the recompute rows exist to show it), not a crash.
      skipped = `step ${i + 1} failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
      break;
    }
    const dt = (performance.now() - t0) / 1000;
    // Heartbeat for bench/run.ts's watchdog.
    process.stderr.write(`step ${i + 1}/${warmup + steps} ${dt.toFixed(3)} s\n`);
    tf.dispose([batch.A, batch.B]);
    if (i >= warmup) times.push(dt);
    if (dt > maxStepS) {
      skipped = `one step took ${dt.toFixed(1)} s (> --max-step-s ${maxStepS}); stopped after ${i + 1} step(s)`;
      if (i < warmup) times.push(dt);
      break;
    }
  }
  const result: WorkerResult = {
    config: c.name,
    backend: info.name,
    threads: info.threads,
    backendInfo: { version: info.version, simd: info.simd, threads: info.threads, ...info.details },
    times_s: times.map((t) => Number(t.toFixed(4))),
    median_s: times.length >= Math.min(steps, 5) && !skipped ? Number(median(times)!.toFixed(4)) : null,
    max_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...wasmHeap(),
    tensors_after: tf.memory().numTensors,
    dispatches: lastDispatches?.total ?? null,
    ...(lastDispatches ? { dispatches_by_program: lastDispatches.byProgram } : {}),
    ...(skipped ? { skipped } : {}),
    ...(prof ? { profile: prof } : {}),
  };
  trainer.dispose();
  return result;
}

const result = await main();
process.stdout.write(JSON.stringify(result) + '\n');
