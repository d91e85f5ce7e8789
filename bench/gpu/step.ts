// Times one bench config's training step on one backend the way a GPU runs it: steps are queued without reading
// anything back (GanTrainer.launch) and the clock stops when the last step's losses arrive, so the time per step
// is throughput, as PyTorch's (which synchronises once per step) is. Prints one JSON line:
//   {config, backend, ours_s, host_s, dispatches, copies, dispatches_by_program, warmup_s, steps}
// (host_s: the median time launch() takes to record and submit one step, JS and Dawn on the CPU: a step cannot run
// faster than that, however fast the GPU)
// (copies: pipe's buffer-to-buffer copies per step, the fused Adam's; commands, not compute dispatches)
//   node --import tsx bench/gpu/step.ts <config> <backend> [--warmup 2] [--steps 10] [--gpu-times N]
//        [--profile-host FILE] [--null-device]
// --gpu-times N: after the timed steps, N more steps with every dispatch stamped by the GPU (timestamp queries,
// webgpu/gpu-times.ts), one at a time; adds gpu_times {busy_ms, span_ms, programs: [[name, count, ms], ...]} per step.
// --profile-host: a V8 CPU profile of the timed launches only (no start-up, no shader compiles), for Chrome DevTools.
// --null-device: webgpu on Dawn's null backend, which validates every command and runs none: host_s without a
// rasteriser competing for the CPU (ours_s and the losses then mean nothing).
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendRequest } from '../../src/ml/backend.js';
import { loadBackbone } from '../../src/ml/backbones/index.js';
import { readTerms } from '../../src/ml/train/pix2pix.js';
import { createTrainer } from '../../src/ml/train/run.js';
import type { Batch } from '../../src/ml/train/types.js';
import { bindGroupCounts } from '../../src/ml/webgpu/bind-groups.js';
import { convTunings, convTuningSummary, tunePendingConvs } from '../../src/ml/webgpu/conv-autotune.js';
import { countDispatches } from '../../src/ml/webgpu/dispatches.js';
import {
  gpuTimesUnavailable,
  meanGpuTimes,
  startGpuTimes,
  stopGpuTimes,
  type GpuTimes,
} from '../../src/ml/webgpu/gpu-times.js';
import { configByName, trainParamsFor } from '../configs.js';

const argv = process.argv.slice(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const flag = (name: string, def: number) =>
  argv.includes(`--${name}`) ? Number(argv[argv.indexOf(`--${name}`) + 1]) : def;
const [configName, backend] = argv as [string, string];
if (argv.includes('--null-device')) process.env.PIPE_WEBGPU_NULL_DEVICE = '1';
const c = configByName(configName);
const info = await initBackend(backend as BackendRequest);
const extractor = c.perceptual
  ? await loadBackbone({
      name: 'vgg19',
      weights: 'keras',
      layers: ['relu3_3'],
      weightsDir: process.env.PIPE_WEIGHTS_DIR ?? path.resolve(import.meta.dirname, '../../../shared/weights'),
    })
  : undefined;
const batches: Batch[] = [0, 1].map((s) => ({
  A: tf.randomUniform([1, c.size, c.size, 3], -1, 1, 'float32', 2 * s) as tf.Tensor4D,
  B: tf.randomUniform([1, c.size, c.size, 3], -1, 1, 'float32', 2 * s + 1) as tf.Tensor4D,
}));
// normalize: auto's feature scale from the first targets, as a training run measures it on its first images.
const trainer = await createTrainer(trainParamsFor(c), extractor, batches[0]!.B);

const t0 = performance.now();
for (let i = 0; i < flag('warmup', 2); i++) await trainer.step(batches[i % 2]!, 0.0002, i);
await tunePendingConvs(); // PIPE_WEBGPU_CONV_AUTOTUNE=1: as the training loop does after a step
const warmupS = (performance.now() - t0) / 1000;
const counted = await countDispatches(() => tf.dispose(Object.values(trainer.launch(batches[0]!, 0.0002, 100))));
await readTerms(trainer.launch(batches[1]!, 0.0002, 101)); // drain the queue before the clock starts
const steps = flag('steps', 10);
const profileFile = argv.includes('--profile-host') ? argv[argv.indexOf('--profile-host') + 1]! : null;
const session = profileFile ? new Session() : null;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
Object.assign(bindGroupCounts, { made: 0, reused: 0 });
const t1 = performance.now();
let last: Record<string, tf.Scalar> = {};
const hostMs: number[] = [];
for (let i = 0; i < steps; i++) {
  tf.dispose(Object.values(last));
  const h = performance.now();
  last = trainer.launch(batches[i % 2]!, 0.0002, 200 + i);
  hostMs.push(performance.now() - h);
}
if (session) {
  const { profile } = await session.post('Profiler.stop');
  fs.writeFileSync(profileFile!, JSON.stringify(profile));
  session.disconnect();
}
const losses = await readTerms(last);
const perStep = (performance.now() - t1) / 1000 / steps;

/** Per step, mean of `n` steps each stamped alone; why not, where the adapter cannot. */
async function gpuTimes(n: number): Promise<Record<string, unknown> | null> {
  if (n <= 0 || info.name !== 'webgpu') return null;
  const why = process.env.PIPE_WEBGPU_NULL_DEVICE === '1' ? 'the null device runs nothing' : gpuTimesUnavailable();
  if (why) return { unavailable: why };
  const runs: GpuTimes[] = [];
  for (let i = 0; i < n; i++) {
    startGpuTimes();
    const terms = trainer.launch(batches[i % 2]!, 0.0002, 300 + i);
    runs.push(await stopGpuTimes());
    await readTerms(terms);
  }
  const t = meanGpuTimes(runs);
  const r3 = (x: number) => Number(x.toFixed(3));
  return {
    steps: n,
    busy_ms: r3(t.busyMs),
    span_ms: r3(t.spanMs),
    dispatches: t.dispatches,
    ...(t.invalid ? { invalid: t.invalid } : {}),
    programs: t.programs.map((p) => [p.name, p.count, r3(p.ms)]),
  };
}
const gpu = await gpuTimes(flag('gpu-times', 0));

process.stdout.write(
  JSON.stringify({
    config: c.name,
    backend: info.name,
    ours_s: Number(perStep.toFixed(4)),
    host_s: Number((median(hostMs) / 1000).toFixed(4)),
    bind_groups_per_step: { made: bindGroupCounts.made / steps, reused: bindGroupCounts.reused / steps },
    dispatches: info.name === 'webgpu' ? counted.dispatches.total : null,
    copies: info.name === 'webgpu' ? counted.dispatches.copies : null,
    dispatches_by_program: info.name === 'webgpu' ? counted.dispatches.byProgram : undefined,
    warmup_s: Number(warmupS.toFixed(2)),
    steps,
    finite: Object.values(losses).every(Number.isFinite),
    adapter: info.details?.adapterInfo ?? null,
    subgroups: info.details?.subgroups ?? null,
    f16: info.details?.f16 ?? null,
    ...(gpu ? { gpu_times: gpu } : {}),
    ...(convTunings().length ? { conv_autotune: convTuningSummary() } : {}),
  }) + '\n',
);
trainer.dispose();
