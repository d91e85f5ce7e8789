// pipe's replacements for stock tfjs-backend-wasm kernels that are slow in ways that matter for training. Registered
// after the package (which registers its own at import) and re-registered on every activation, so a later import of
// the package cannot silently put the stock kernel back.
import * as tf from '@tensorflow/tfjs-core';
import type { HeapTask } from './heap_loops.js';
import { heapPool, splitRange } from './heap_pool.js';
import { transposeInto, transposePlan } from './transpose_copy.js';

interface WasmHeap {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function transposeKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }): tf.TensorInfo {
  const x = args.inputs.x!;
  const perm = (args.attrs as { perm: number[] }).perm;
  const backend = args.backend as WasmHeap;
  const out = backend.makeOutput(
    perm.map((a) => x.shape[a]!),
    x.dtype,
  );
  if (parallelTranspose(backend, x, out, perm)) return out;
  // Views are taken after the allocation: growing the wasm memory replaces the heap buffer.
  transposeInto(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), x.shape, perm);
  return out;
}

// Below this many elements a transpose takes < 0.2 ms, about what waking the pool's workers costs.
const PARALLEL_MIN = 1 << 16;

/** Splits a big transpose between the heap pool's threads; false (nothing done) where there is no pool. */
function parallelTranspose(backend: WasmHeap, x: tf.TensorInfo, out: tf.TensorInfo, perm: number[]): boolean {
  const pool = heapPool();
  const size = x.shape.reduce((a, b) => a * b, 1);
  const buffer = backend.wasm.HEAPU8.buffer;
  if (!pool || size < PARALLEL_MIN || !(buffer instanceof SharedArrayBuffer)) return false;
  const plan = transposePlan(x.shape, perm);
  if (plan.split < pool.threads) return false;
  const common = {
    kind: 'transpose' as const,
    buffer,
    dtype: x.dtype as 'float32' | 'int32' | 'bool',
    xOffset: backend.dataIdMap.get(x.dataId).memoryOffset,
    outOffset: backend.dataIdMap.get(out.dataId).memoryOffset,
    size,
    plan,
  };
  pool.run(splitRange(plan.split, pool.threads).map(([lo, hi]): HeapTask => ({ ...common, lo, hi })));
  return true;
}

let stockIdentity: tf.KernelFunc | undefined;

/**
 * tf.clone as a second reference to the same storage, as the cpu backend and wasm's own Reshape do, instead of a
 * copy. tfjs clones every tensor a custom gradient saves (tf.customGrad's save, and pipe's withLazyGrads): ~750
 * copies and 4 % of a pix2pix 256² step on one thread. Sharing is safe because nothing writes a wasm tensor in
 * place except adamUpdate, which first makes a moment's storage its own when its refCount says it is shared.
 */
function identityKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const x = args.inputs.x!;
  if (x.dtype === 'string') return stockIdentity!(args as never) as tf.TensorInfo;
  (args.backend as WasmHeap).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Registers `kernelFunc` for wasm in place of the stock kernel, keeping its setup (other stock kernels need it). */
function replace(kernelName: string, kernelFunc: tf.KernelFunc): tf.KernelFunc | undefined {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (stock?.kernelFunc === kernelFunc) return undefined;
  if (stock) tf.unregisterKernel(kernelName, 'wasm');
  // The stock setup binds the C++ function that other stock kernels (reductions, matMul) call directly.
  tf.registerKernel({ kernelName, backendName: 'wasm', setupFunc: stock?.setupFunc, kernelFunc });
  return stock?.kernelFunc;
}

/** Puts pipe's Transpose and Identity in place of the stock wasm kernels (after importing the package). */
export function registerWasmKernels(): void {
  replace('Transpose', transposeKernel as tf.KernelFunc);
  stockIdentity = replace('Identity', identityKernel as tf.KernelFunc) ?? stockIdentity;
}
