// Shared by the webgpu test files: whether webgpu can run here (the adapter probed in a child process first, since
// Dawn can block in native code), and the rule that CI (PIPE_REQUIRE_WEBGPU=1 from .ci/run, or CI=true) must not
// skip. Not a test itself.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SHARED_DATA_DIR } from '../../../test/shared-paths.js';
import { initBackend, type BackendInfo } from '../backend.js';
import { probeWebgpu } from '../doctor/webgpu-probe.js';
import { readTensors } from '../models/tensor-file.js';
import { randomArr, type Arr } from '../ops/testing.js';
import type { GanTrainer } from '../train/gan-trainer.js';
import { createTrainer } from '../train/run.js';
import { trainParams } from '../train/test-params.js';
import { alignedSplit } from '../train/test-split.js';
import type { Batch } from '../train/types.js';
import { countDispatches } from './dispatches.js';

/**
 * The Vulkan adapter a webgpu test project of vitest.config.ts asks for (PIPE_TEST_ADAPTER), with how to recognise it
 * in the adapter info and where its driver comes from; null for the 'pipe' project (whatever Dawn finds first).
 */
const TEST_ADAPTERS = {
  swiftshader: { matches: /^swiftshader$/i, field: 'architecture', source: "Debian's chromium package" },
  lavapipe: { matches: /Mesa (2[4-9]|[3-9]\d)\./, field: 'description', source: 'scripts/lavapipe.sh' },
} as const;
export type TestAdapter = keyof typeof TEST_ADAPTERS;

export function testAdapter(): TestAdapter | null {
  const name = process.env.PIPE_TEST_ADAPTER;
  return name === 'swiftshader' || name === 'lavapipe' ? name : null;
}

/** Both test Vulkan adapters offer WGSL subgroups (SwiftShader of 4 invocations, lavapipe of 8); llvmpipe through
 * OpenGL ES does not. */
export const wantsSubgroups = () => testAdapter() !== null;

/** Of the adapters here, lavapipe (Mesa >= 24) alone offers shader-f16. */
export const wantsF16 = () => testAdapter() === 'lavapipe';

/**
 * Whether this is the SwiftShader project, where tests of what does not depend on the driver (checkpoints and resume,
 * buffer and bind-group reuse) are skipped: they run on llvmpipe and lavapipe, and SwiftShader, the slowest adapter
 * here, would add over a minute of CPU to a 2-core CI run for them alone. Its kernels and training steps still run.
 */
export const driverIndependentSkipped = () => testAdapter() === 'swiftshader';

/** Why the requested adapter cannot run here, or null: its driver manifest must exist. */
function driverMissing(): string | null {
  const want = testAdapter();
  const icd = process.env.VK_ICD_FILENAMES ?? '';
  if (!want || existsSync(icd)) return null;
  return `${want}'s Vulkan driver (${TEST_ADAPTERS[want].source}) is not at ${icd || '(VK_ICD_FILENAMES unset)'}`;
}

/** Why the adapter that loaded is not the one the project asked for (Dawn found no Vulkan loader: libvulkan1), or null. */
function wrongAdapter(info: BackendInfo): string | null {
  const want = testAdapter();
  if (!want) return null;
  const adapter = (info.details?.adapterInfo ?? {}) as Record<string, string | undefined>;
  const { matches, field } = TEST_ADAPTERS[want];
  if (matches.test(adapter[field] ?? '')) return null;
  return `webgpu loaded ${JSON.stringify(adapter)}, not ${want} (is libvulkan1 installed?)`;
}

/** null when webgpu loaded (and cpu is active again), else why it cannot run. */
export async function webgpuSkipReason(): Promise<string | null> {
  if (process.env.PIPE_TEST_WEBGPU === '0') return 'PIPE_TEST_WEBGPU=0';
  const missing = driverMissing();
  if (missing) return missing;
  const probe = await probeWebgpu();
  if (!probe.found) return probe.reason;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('initBackend did not finish within 10 s')), 10_000);
  });
  try {
    return wrongAdapter(await Promise.race([initBackend('webgpu'), timeout]));
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
  } finally {
    clearTimeout(timer);
    await initBackend('cpu');
  }
}

export function webgpuRequired(): boolean {
  return process.env.PIPE_REQUIRE_WEBGPU === '1' || process.env.CI === 'true' || process.env.CI === '1';
}

/** The body of the "why skipped" test: names the reason, and fails where webgpu is required. */
export function expectSkipAllowed(skipped: string | null): void {
  expect(skipped).toMatch(/\S/);
  expect(
    webgpuRequired() ? skipped : null,
    'webgpu must run in CI: .ci/run installs Mesa/EGL (libegl1 libegl-mesa0 libgl1-mesa-dri), and chromium and ' +
      'libvulkan1 for SwiftShader, and unpacks lavapipe with scripts/lavapipe.sh',
  ).toBeNull();
}

/** Runs `f` on cpu and on webgpu, returning both results (cpu active afterwards). */
export async function onBoth<T>(f: () => Promise<T>): Promise<{ cpu: T; webgpu: T }> {
  await initBackend('cpu');
  const cpu = await f();
  await initBackend('webgpu');
  try {
    return { cpu, webgpu: await f() };
  } finally {
    await initBackend('cpu');
  }
}

/** max |a - b| / max |a|. */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(b.length).toBe(a.length);
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]!));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

export const data = (t: tf.Tensor) => t.data() as Promise<Float32Array>;

// Gradient checks shared by the kernel test files.

export const tensor = (a: Arr) => tf.tensor(a.data, a.shape);

/** Value of f and gradients of sum(f * w) for every input, read asynchronously (webgpu has no sync reads in Node). */
export async function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Arr[], seed = 4246) {
  const xs = inputs.map(tensor);
  const value = f(...xs);
  const w = tensor(randomArr(value.shape, seed));
  const { value: loss, grads } = tf.valueAndGrads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), w)))(xs);
  const out = { value: await data(value), grads: await Promise.all(grads.map(data)) };
  tf.dispose([...xs, value, w, loss, ...grads]);
  return out;
}

/**
 * Directional central difference of L = sum(f * w) along a random direction, against <grad, direction>, relative
 * to the sum of |grad * direction| (the float32 sum of the loss is done in float64 here).
 */
export async function finiteDifferenceError(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Arr[],
  which: number,
  grad: Float32Array,
  step: number,
  seed = 4246,
) {
  const v = randomArr(inputs[which]!.shape, 977 + which);
  const loss = async (t: number) => {
    const xs = inputs.map((a, i) =>
      i === which ? tensor({ data: a.data.map((x, k) => x + t * v.data[k]!), shape: a.shape }) : tensor(a),
    );
    const y = f(...xs);
    const yv = await data(y);
    const w = randomArr(y.shape, seed).data;
    tf.dispose([...xs, y]);
    return yv.reduce((s, x, k) => s + x * w[k]!, 0);
  };
  const fd = ((await loss(step)) - (await loss(-step))) / (2 * step);
  let analytic = 0;
  let scale = 0;
  grad.forEach((g, k) => {
    analytic += g * v.data[k]!;
    scale += Math.abs(g * v.data[k]!);
  });
  return Math.abs(fd - analytic) / Math.max(scale, 1e-6);
}

/** Value and gradients on cpu and webgpu, with the dispatches webgpu made, and FD errors on webgpu. */
export async function compare(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Arr[], fdStep = 1e-2) {
  await initBackend('cpu');
  const cpu = await valueAndGrads(f, inputs);
  await initBackend('webgpu');
  try {
    const { result: gpu, dispatches } = await countDispatches(() => valueAndGrads(f, inputs));
    const fd: number[] = [];
    for (let i = 0; i < inputs.length; i++) fd.push(await finiteDifferenceError(f, inputs, i, gpu.grads[i]!, fdStep));
    return { cpu, gpu, dispatches, fd };
  } finally {
    await initBackend('cpu');
  }
}

export function expectAgree(r: Awaited<ReturnType<typeof compare>>, tol: number, fdTol: number) {
  expect(relMaxError(r.cpu.value, r.gpu.value), 'value').toBeLessThan(tol);
  r.cpu.grads.forEach((g, i) => expect(relMaxError(g, r.gpu.grads[i]!), `gradient ${i}`).toBeLessThan(tol));
  r.fd.forEach((e, i) => expect(e, `finite differences, input ${i}`).toBeLessThan(fdTol));
}

// Training fixtures shared by the webgpu test files.

/** A pix2pix trainer at 32², ngf and ndf 4, on the active backend, and one batch for it; dispose() frees both. */
export async function tinyPix2pix(): Promise<{ trainer: GanTrainer; batch: Batch; dispose(): void }> {
  const trainer = await createTrainer(
    trainParams({ dataset: { crop_size: 32, load_size: 32 }, model: { ngf: 4, ndf: 4 } }),
  );
  const batch = {
    A: tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 1) as tf.Tensor4D,
    B: tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 2) as tf.Tensor4D,
  };
  return { trainer, batch, dispose: () => (tf.dispose([batch.A, batch.B]), trainer.dispose()) };
}

/**
 * What the resume tests train: 4 facades images at 32², 2 epochs of 2 steps, checkpointed every epoch, with a work
 * and an output folder per run name under `tmp`.
 */
export async function resumableRun(tmp: string) {
  const split = await alignedSplit(path.join(SHARED_DATA_DIR, 'facades/train'), 4, 36);
  const base = trainParams({ dataset: { crop_size: 32, load_size: 36 }, model: { ngf: 4, ndf: 4 } });
  const params = {
    ...base,
    train: { ...base.train, epochs: 2, epochs_decay: 1, steps_per_epoch: 2, checkpoint_every: 1 },
  };
  const dirs = (name: string) => ({ workDir: path.join(tmp, name, 'work'), outDir: path.join(tmp, name, 'out') });
  return { split, params, dirs };
}

/** The generator weights two runs published in their output folders are the same, bit for bit. */
export async function expectSameWeights(outA: string, outB: string): Promise<void> {
  const [a, b] = await Promise.all([outA, outB].map((dir) => readTensors(dir, 'weights')));
  expect(Object.keys(b!.tensors).sort()).toEqual(Object.keys(a!.tensors).sort());
  for (const k of Object.keys(a!.tensors))
    expect(Array.from(await b!.tensors[k]!.data()), k).toEqual(Array.from(await a!.tensors[k]!.data()));
  tf.dispose([...Object.values(a!.tensors), ...Object.values(b!.tensors)]);
}
