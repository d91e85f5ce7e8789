// PIPE_WEBGPU_CONV_AUTOTUNE=1: each convolution product (forward, input gradient, filter gradient) of each geometry
// runs on whichever kernel the GPU runs fastest, timed once on that GPU, as torch.backends.cudnn.benchmark picks
// among cuDNN's algorithms. The candidates: pipe's kernel with 32x32 output tiles (the default), the same with
// 64x64 tiles over 64 or, where the device allows, 256 invocations (conv.ts), and tfjs's own kernel. Which is
// fastest depends on the GPU and the layer (docs/gpu.md, "Conv kernels"), and a fixed rule can only be right on the
// GPU it was measured on.
// Ops run synchronously and GPU times are read asynchronously, so a product first seen runs on its default kernel
// and is queued here; the training loop's next turn (tunePendingConvs) times every kernel on random operands of the
// same shapes and keeps the fastest for the rest of the process. The kernels add in different orders (tfjs's, and
// pipe's where the tile size changes the split over K), so results change in the last bits with the choice, and two
// runs may choose differently: like cudnn.benchmark, it is off by default and trades bit-for-bit reruns for speed.
// Checkpoints keep the choices (convChoicesToSave), so a resumed run continues on the kernels it stopped on.
import * as tf from '@tensorflow/tfjs-core';
import type { ConvAutotuneSummary } from '../../core/formats/train-summary.js';
import type { ConvGeometry } from '../ops/geometry.js';
import { gpuTimesUnavailable, medianGpuMs } from './gpu-times.js';
import { webgpuSetting } from './settings.js';

export const CONV_KERNELS = ['pipe', 'pipe64', 'pipe64w', 'stock'] as const;
export type ConvKernel = (typeof CONV_KERNELS)[number];
export type ConvProduct = 'forward' | 'input' | 'filter';

/** A product waiting to be timed: the shapes of its two operands and how each kernel runs it. */
export interface ConvCandidate {
  product: ConvProduct;
  /** The kernel it runs on until tuned, and for good where the GPU cannot time it. */
  fallback: ConvKernel;
  shapes: [number[], number[]];
  /** The kernels this device can run it on. */
  run: Partial<Record<ConvKernel, (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor>>;
}

/** One tuned product: the GPU time of each kernel (median of `REPS`; null where untimed) and the one kept. */
export interface ConvTuning {
  key: string;
  product: ConvProduct;
  ms: Partial<Record<ConvKernel, number>> | null;
  chosen: ConvKernel;
}

const REPS = 3;
const chosen = new Map<string, ConvKernel>();
const pending = new Map<string, ConvCandidate>();
const tunings: ConvTuning[] = [];

/** Whether autotuning is on: PIPE_WEBGPU_CONV_AUTOTUNE=1, else backend_options.webgpu.conv_autotune (off). */
export function convAutotuneOn(env: NodeJS.ProcessEnv = process.env): boolean {
  return webgpuSetting('conv_autotune', env) === '1';
}

/** The key of a product: everything that can change which kernel is faster. */
export function convKey(product: ConvProduct, precision: string, g: ConvGeometry): string {
  const pads = [g.padTop, g.padBottom, g.padLeft, g.padRight].join(',');
  return `${product} ${precision} ${g.batch}x${g.inH}x${g.inW}x${g.inC}->${g.outH}x${g.outW}x${g.outC} k${g.kh}x${g.kw} s${g.stride} d${g.dilation} p${pads}`;
}

/**
 * The kernel to run a product on: the tuned one, else `fallback`. With autotuning on, a product not tuned yet is
 * queued (`candidate` is called once per product). Only dilation 1 is tuned: tfjs's gradient kernels take none.
 * With autotuning off and nothing chosen, it costs one lookup of the environment.
 */
export function convKernel(
  product: ConvProduct,
  precision: string,
  g: ConvGeometry,
  fallback: ConvKernel,
  candidate: () => Pick<ConvCandidate, 'shapes' | 'run'>,
): ConvKernel {
  const on = convAutotuneOn();
  if (!on && chosen.size === 0) return fallback;
  const key = convKey(product, precision, g);
  const c = chosen.get(key);
  if (c) return c;
  if (on && g.dilation === 1 && !pending.has(key)) pending.set(key, { product, fallback, ...candidate() });
  return fallback;
}

/** Times every kernel of a candidate on random operands of its shapes. */
async function timeAll(c: ConvCandidate): Promise<Partial<Record<ConvKernel, number>>> {
  const operand = (shape: number[], seed: number) => tf.randomUniform<tf.Rank>(shape, -1, 1, 'float32', seed);
  const a = operand(c.shapes[0], 7) as tf.Tensor4D;
  const b = operand(c.shapes[1], 8) as tf.Tensor4D;
  try {
    const ms: Partial<Record<ConvKernel, number>> = {};
    for (const k of CONV_KERNELS) {
      const run = c.run[k];
      if (run) ms[k] = await medianGpuMs(() => run(a, b), REPS);
    }
    return ms;
  } finally {
    tf.dispose([a, b]);
  }
}

/** The kernel of least time, the earliest listed on a tie (pipe's 32x32 first). */
const fastest = (ms: Partial<Record<ConvKernel, number>>) =>
  CONV_KERNELS.filter((k) => ms[k] !== undefined).reduce((best, k) => (ms[k]! < ms[best]! ? k : best));

/**
 * Decides every queued product: times its kernels on the GPU and keeps the fastest (pipe's 32x32 on a tie). Where
 * the adapter has no timestamp queries, every product keeps its default kernel. Cheap when nothing is queued.
 */
export async function tunePendingConvs(): Promise<ConvTuning[]> {
  if (pending.size === 0) return [];
  const why = tf.getBackend() === 'webgpu' ? gpuTimesUnavailable() : 'not on webgpu';
  const queued = [...pending];
  pending.clear();
  const made: ConvTuning[] = [];
  for (const [key, c] of queued) {
    const ms = why ? null : await timeAll(c);
    const pick = ms ? fastest(ms) : c.fallback;
    chosen.set(key, pick);
    made.push({ key, product: c.product, ms, chosen: pick });
  }
  tunings.push(...made);
  return made;
}

/** One line for a run's log: what a round of tuning decided and what it gains. */
export function describeTunings(t: readonly ConvTuning[]): string {
  const s = convTuningSummary(t);
  const won = CONV_KERNELS.map((k) => `${k} ${s.chosen[k]}`).join(', ');
  const products = `${s.products} product${s.products === 1 ? '' : 's'}`;
  if (!s.ms) return `conv autotune: ${products} kept their default kernels (no GPU timestamps here)`;
  const ms = (x: number | null) => (x === null ? '-' : x.toFixed(1));
  return (
    `conv autotune: ${products} decided (${won}); one run of each takes ${ms(s.ms.chosen)} ms on the ` +
    `chosen kernels, ${ms(s.ms.pipe)} on pipe's 32x32, ${ms(s.ms.pipe64)} on 64x64 by 64 threads, ` +
    `${ms(s.ms.pipe64w)} on 64x64 by 256, ${ms(s.ms.stock)} on tfjs's`
  );
}

/** Products decided so far, in the order they were tuned. */
export function convTunings(): readonly ConvTuning[] {
  return tunings;
}

/** What `tunings` (default: all so far) decided, for train.json and the bench. */
export function convTuningSummary(t: readonly ConvTuning[] = tunings): ConvAutotuneSummary {
  const chosenCount = Object.fromEntries(CONV_KERNELS.map((k) => [k, t.filter((x) => x.chosen === k).length]));
  // A kernel's sum where every product was timed on it (else null: untimed here, or a kernel the device cannot run).
  const sum = (f: (x: ConvTuning) => number | undefined) => {
    const each = t.map((x) => (x.ms ? f(x) : undefined));
    if (each.some((v) => v === undefined)) return null;
    return Number((each as number[]).reduce((a, b) => a + b, 0).toFixed(3));
  };
  const ms = {
    ...Object.fromEntries(CONV_KERNELS.map((k) => [k, sum((x) => x.ms![k])])),
    chosen: sum((x) => x.ms![x.chosen]),
  };
  return {
    products: t.length,
    chosen: chosenCount as ConvAutotuneSummary['chosen'],
    ms: ms.chosen === null ? null : (ms as ConvAutotuneSummary['ms']),
  };
}

/** The choices in force and the adapter they were timed on, as a checkpoint keeps them. */
export interface SavedConvChoices {
  adapter: string;
  choices: Record<string, ConvKernel>;
}

/** What a checkpoint should keep: the choices made so far on `adapter`; undefined with autotuning off or none made. */
export function convChoicesToSave(adapter: string): SavedConvChoices | undefined {
  if (!convAutotuneOn() || chosen.size === 0) return undefined;
  return { adapter, choices: Object.fromEntries(chosen) };
}

/**
 * Takes up a checkpoint's choices, where autotuning is on and they were made on this adapter, so a resumed run
 * continues on the kernels it stopped on. Returns how many were taken up (0: products are tuned anew).
 */
export function restoreConvChoices(saved: SavedConvChoices | undefined, adapter: string): number {
  if (!saved || saved.adapter !== adapter || !convAutotuneOn()) return 0;
  const known = Object.entries(saved.choices).filter(([, k]) => (CONV_KERNELS as readonly string[]).includes(k));
  for (const [key, kernel] of known) chooseConvKernel(key, kernel);
  return known.length;
}

/** Sets a product's kernel without timing (tests: to run every product on one kernel). */
export function chooseConvKernel(key: string, kernel: ConvKernel): void {
  chosen.set(key, kernel);
  pending.delete(key);
}

/** Keys queued for tuning (tests). */
export function pendingConvKeys(): string[] {
  return [...pending.keys()];
}

/** Forgets every choice and queued product (a new backend or device). */
export function resetConvTuning(): void {
  chosen.clear();
  pending.clear();
  tunings.length = 0;
}
