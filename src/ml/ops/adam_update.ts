// One Adam update (torch.optim.Adam: bias-corrected, eps outside the square root, no weight decay) of a parameter and
// its two moments in one pass over memory. With tensor ops the same update is ~11 kernels and ~11 passes
// over every parameter (57 M of them in pix2pix at 256/ngf 64); on the cpu and wasm backends the tensors' memory is
// reachable from JavaScript, so one loop does it. Other backends fall back to tensor ops with the same arithmetic.
import * as tf from '@tensorflow/tfjs-core';
import { adamStepWebgpu } from '../webgpu/adam.js';
import { isWebgpu } from '../webgpu/kernel.js';
import { adamWasmFor } from './adam_wasm.js';
import { adamRange, type AdamScalars, type HeapTask } from './heap_loops.js';
import { heapPool, splitRange } from './heap_pool.js';

// Parameters below this size are updated on the main thread: waking the pool costs more than it saves.
const PARALLEL_MIN = 1 << 16;

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1-based step number, for the bias corrections. */
  step: number;
}

interface CpuLike {
  data: { get(id: object): { values?: Float32Array; refCount: number } | undefined };
}
interface WasmLike {
  dataIdMap: { get(id: object): { refCount: number; memoryOffset: number | null } | undefined };
  typedArrayFromHeap(t: { shape: number[]; dtype: string; dataId: object }): Float32Array;
}

type Access = (t: tf.Tensor) => { view: Float32Array; exclusive: boolean } | undefined;

// Storage this module allocated for a variable. On cpu a tensor made by tf.tensor(array) keeps the caller's array as
// its storage (refCount 1, yet a JS cache may hold the same array), so only storage made here is safe to write.
const owned = new WeakMap<tf.Tensor, object>();

function accessor(): Access | undefined {
  const name = tf.getBackend();
  if (name === 'cpu') {
    const b = tf.backend() as unknown as CpuLike;
    return (t) => {
      const d = b.data.get(t.dataId);
      if (!(d?.values instanceof Float32Array)) return undefined;
      return { view: d.values, exclusive: owned.get(t) === t.dataId && d.refCount === 1 };
    };
  }
  if (name === 'wasm') {
    // tf.tensor copies into the wasm heap, so a refCount of 1 means no other tensor shares the storage.
    const b = tf.backend() as unknown as WasmLike;
    return (t) => {
      const d = b.dataIdMap.get(t.dataId);
      return d && d.memoryOffset != null ? { view: b.typedArrayFromHeap(t), exclusive: d.refCount === 1 } : undefined;
    };
  }
  return undefined;
}

/** Gives a variable storage of its own (tfjs shares storage between a tensor and its clones/initial value). */
function makeExclusive(v: tf.Variable): void {
  const copy = tf.tidy(() => tf.add(v, 0));
  v.assign(copy);
  copy.dispose();
  owned.set(v, v.dataId);
}

function tensorOpsUpdate(p: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, h: AdamHyper): void {
  const c1 = 1 - h.beta1 ** h.step;
  const c2 = 1 - h.beta2 ** h.step;
  tf.tidy(() => {
    const m2 = tf.add(tf.mul(m, h.beta1), tf.mul(g, 1 - h.beta1));
    const v2 = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(g), 1 - h.beta2));
    const denom = tf.add(tf.div(tf.sqrt(v2), Math.sqrt(c2)), h.eps);
    m.assign(m2);
    v.assign(v2);
    p.assign(tf.sub(p, tf.mul(tf.div(m2, denom), h.lr / c1)));
  });
}

/** webgpu: one dispatch of pipe's fused kernel writes fresh p, m, v (src/ml/webgpu/adam.ts). */
function webgpuUpdate(p: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, h: AdamHyper): void {
  const next = adamStepWebgpu(p, m, v, g, h);
  [p, m, v].forEach((t, i) => t.assign(next[i]!));
  tf.dispose(next);
}

/** A new float32 tensor whose storage the caller fills (no initialisation pass). */
function uninitialised(shape: number[]): tf.Tensor {
  if (tf.getBackend() === 'wasm') {
    const b = tf.backend() as unknown as { makeOutput(shape: number[], dtype: string): tf.TensorInfo };
    return tf.engine().makeTensorFromTensorInfo(b.makeOutput(shape, 'float32'));
  }
  return tf.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, 'float32');
}

/** The heap's WebAssembly.Memory on the wasm backend (stock build: exported; threaded build: imported), if any. */
function wasmMemory(): WebAssembly.Memory | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const m = (tf.backend() as unknown as { wasm?: { wasmMemory?: unknown; asm?: { memory?: unknown } } }).wasm;
  const memory = m?.wasmMemory ?? m?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/**
 * Runs the update over views [p, m, v, g, new p]: split between the heap pool's threads when there is a pool and
 * the parameter is big, with the WebAssembly loop where the heap is a WebAssembly memory, else the JavaScript loop.
 */
function runAdam([P, M, V, G, N]: Float32Array[], s: AdamScalars): void {
  const memory = wasmMemory();
  const wasm = memory && P!.buffer === memory.buffer ? adamWasmFor(memory) : null;
  const pool = heapPool();
  const offsets = [P, M, V, G, N].map((a) => a!.byteOffset);
  if (pool && P!.length >= PARALLEL_MIN && P!.buffer instanceof SharedArrayBuffer) {
    const { buffer, length: size } = P!;
    const shared = wasm ? { module: wasm.module, memory: wasm.memory } : undefined;
    const tasks = splitRange(size, pool.threads).map(([lo, hi]) => ({ buffer, offsets, size, lo, hi, s }));
    pool.run(tasks.map((t): HeapTask => ({ kind: 'adam', ...t, ...(shared ? { wasm: shared } : {}) })));
  } else if (wasm) {
    const [p, m, v, g, n] = offsets;
    wasm.adam(p!, m!, v!, g!, n!, 0, P!.length, s.b1, s.b2, s.stepSize, s.rootC2, s.eps);
  } else {
    adamRange(P!, M!, V!, G!, N!, 0, P!.length, s);
  }
}

/**
 * p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps) after m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g^2. The moments are
 * updated in place (their storage first made exclusive if shared, so no other tensor changes); the parameter gets
 * new storage written in the same pass, because the wasm backend caches XNNPACK operators, with the filter packed
 * inside, by the filter's storage id: a parameter changed in place would keep being convolved with its old values.
 * g is not modified.
 */
export function adamUpdate(p: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, h: AdamHyper): void {
  if (p.size !== g.size || m.size !== p.size || v.size !== p.size) {
    throw new Error(
      `adamUpdate: parameter ${p.name} has ${p.size} elements, gradient ${g.size}, moments ${m.size}/${v.size}`,
    );
  }
  if (isWebgpu() && p.dtype === 'float32' && g.dtype === 'float32') return webgpuUpdate(p, m, v, g, h);
  const access = p.dtype === 'float32' && g.dtype === 'float32' ? accessor() : undefined;
  if (!access) return tensorOpsUpdate(p, m, v, g, h);
  for (const t of [m, v]) {
    const a = access(t);
    if (!a) return tensorOpsUpdate(p, m, v, g, h);
    if (!a.exclusive) makeExclusive(t);
  }
  const next = uninitialised(p.shape);
  // Views are taken after every allocation: wasm memory growth replaces the heap buffer.
  const views = [p, m, v, g, next].map((t) => access(t)?.view);
  if (views.some((x) => !x)) {
    next.dispose();
    return tensorOpsUpdate(p, m, v, g, h);
  }
  runAdam(views as Float32Array[], {
    b1: h.beta1,
    b2: h.beta2,
    eps: h.eps,
    stepSize: h.lr / (1 - h.beta1 ** h.step),
    rootC2: Math.sqrt(1 - h.beta2 ** h.step),
  });
  p.assign(next);
  next.dispose();
}
