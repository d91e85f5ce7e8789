// pipe's replacements for stock tfjs-backend-wasm kernels that are slow in ways that matter for training. Registered
// after the package (which registers its own at import) and re-registered on every activation, so a later import of
// the package cannot silently put the stock kernel back.
import * as tf from '@tensorflow/tfjs-core';
import { copyRange, runsPlan, type CopyPlan, type HeapTask } from './heap_loops.js';
import { heapPool, splitRange } from './heap_pool.js';
import { slicePlan } from './slice_copy.js';
import { transposePlan } from './transpose_copy.js';

interface WasmHeap {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: object): void;
  disposeData(dataId: object): void;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown };

// Copies below 1 MB stay on the calling thread: splitting them did not pay on a 2-core machine, where a worker
// often waits for a core that XNNPACK's pool thread is still spinning on (pix2pix-128-ngf16-perceptual's
// transposes: 16 ms unsplit, 22-25 ms split at >= 64 K elements); pix2pix 256²'s big ones gain (204 -> 150 ms).
const PARALLEL_MIN = 1 << 18;

/**
 * Executes a copy plan from x (starting `offset` elements in) into out: split between the heap pool's threads when
 * there is a pool and the copy is big, else here. Views are taken after out's allocation: growing the wasm memory
 * replaces the heap buffer.
 */
function runPlan(
  backend: WasmHeap,
  x: tf.TensorInfo,
  out: tf.TensorInfo,
  plan: CopyPlan,
  offset: number,
  outOffset = 0,
): void {
  const pool = heapPool();
  const outSize = out.shape.reduce((a, b) => a * b, 1) - outOffset;
  const xSize = x.shape.reduce((a, b) => a * b, 1) - offset;
  const buffer = backend.wasm.HEAPU8.buffer;
  if (pool && outSize >= PARALLEL_MIN && plan.split >= pool.threads && buffer instanceof SharedArrayBuffer) {
    const bytes = x.dtype === 'bool' ? 1 : 4;
    const common = {
      kind: 'copy' as const,
      buffer,
      dtype: x.dtype as 'float32' | 'int32' | 'bool',
      xOffset: backend.dataIdMap.get(x.dataId).memoryOffset + offset * bytes,
      xSize,
      outOffset: backend.dataIdMap.get(out.dataId).memoryOffset + outOffset * bytes,
      outSize,
      plan,
    };
    pool.run(splitRange(plan.split, pool.threads).map(([lo, hi]): HeapTask => ({ ...common, lo, hi })));
    return;
  }
  const xs = backend.typedArrayFromHeap(x).subarray(offset);
  copyRange(xs, backend.typedArrayFromHeap(out).subarray(outOffset), plan, 0, plan.split);
}

function transposeKernel(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x!;
  const perm = (args.attrs as { perm: number[] }).perm;
  const backend = args.backend as WasmHeap;
  const out = backend.makeOutput(
    perm.map((a) => x.shape[a]!),
    x.dtype,
  );
  runPlan(backend, x, out, transposePlan(x.shape, perm), 0);
  return out;
}

let stockSlice: tf.KernelFunc | undefined;

function sliceKernel(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x!;
  if (x.dtype === 'string') return stockSlice!(args as never) as tf.TensorInfo;
  const attrs = args.attrs as { begin: number | number[]; size?: number | number[] };
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
  const backend = args.backend as WasmHeap;
  const out = backend.makeOutput(size, x.dtype);
  if (size.some((d) => d === 0)) return out;
  const { plan, offset } = slicePlan(x.shape, begin, size);
  runPlan(backend, x, out, plan, offset);
  return out;
}

let stockConcat: tf.KernelFunc | undefined;

/**
 * Concat as one run copy per input: the output is [outer, sum of the inputs' inner sizes], each input a column block
 * of it. The stock kernel copies with one subarray per (row, input): ~18 ns per element when the inner size is 3
 * (pix2pix's discriminator input, two RGB images side by side).
 */
function concatKernel(args: KernelArgs): tf.TensorInfo {
  const all = args.inputs as unknown as tf.TensorInfo[];
  const inputs = all.filter((t) => t.shape.every((d) => d > 0));
  if (inputs.length < 2 || inputs[0]!.dtype === 'string') return stockConcat!(args as never) as tf.TensorInfo;
  const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, inputs[0]!.shape)[0]!;
  const backend = args.backend as WasmHeap;
  const out = backend.makeOutput(
    tf.backend_util.computeOutShape(
      inputs.map((t) => t.shape),
      axis,
    ),
    inputs[0]!.dtype,
  );
  const outer = inputs[0]!.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inners = inputs.map((t) => t.shape.slice(axis).reduce((a, b) => a * b, 1));
  const total = inners.reduce((a, b) => a + b, 0);
  let column = 0;
  inputs.forEach((x, i) => {
    const run = inners[i]!;
    runPlan(backend, x, out, runsPlan([outer], [run], [total], run), 0, column);
    column += run;
  });
  return out;
}

/** SplitV as pipe's slices (the stock kernel calls the stock Slice, which copies the whole input per piece). */
function splitVKernel(args: KernelArgs): tf.TensorInfo[] {
  const x = args.inputs.x!;
  const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
  const begin = x.shape.map(() => 0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[ax] = s;
    const piece = sliceKernel({ inputs: { x }, backend: args.backend, attrs: { begin: [...begin], size } });
    begin[ax]! += s;
    return piece;
  });
}

/** How many reductions went through pipe's transpose (tests check that each kind of reduction does). */
export const reductionStats = { transposed: 0 };

/**
 * A stock reduction (Sum, Mean, Max) with its input transposed by pipe's Transpose. The stock kernels move the
 * reduced axes innermost with the package's C++ transpose (a [1,128,128,64] bias-gradient Sum: ~8 ms, mostly that
 * transpose) and then reduce; this does the same transpose with the fast kernel and hands the stock kernel an input
 * whose reduced axes are innermost already. Same data, same reduction loop: the same bits.
 */
function withFastTranspose(stock: tf.KernelFunc, axisAttr: 'axis' | 'reductionIndices'): tf.KernelFunc {
  const kernel = (args: KernelArgs): tf.TensorInfo => {
    const x = args.inputs.x!;
    const attrs = args.attrs as Record<string, unknown> & { keepDims: boolean };
    const axes = tf.util.parseAxisParam(attrs[axisAttr] as number | number[], x.shape);
    const perm = tf.backend_util.getAxesPermutation(axes, x.shape.length);
    if (!perm || x.dtype === 'string') return stock(args as never) as tf.TensorInfo;
    const backend = args.backend as WasmHeap;
    const transposed = transposeKernel({ inputs: { x }, backend, attrs: { perm } });
    reductionStats.transposed++;
    const inner = tf.backend_util.getInnerMostAxes(axes.length, x.shape.length);
    const innerAttrs = { ...attrs, [axisAttr]: inner, keepDims: false };
    const out = stock({ ...args, inputs: { x: transposed }, attrs: innerAttrs } as never);
    backend.disposeData(transposed.dataId);
    const info = out as tf.TensorInfo;
    return attrs.keepDims ? { ...info, shape: tf.backend_util.expandShapeToKeepDim(info.shape, axes) } : info;
  };
  return kernel as tf.KernelFunc;
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

// Each reduction's attribute naming its axes (tfjs's Max calls them reductionIndices).
const REDUCTIONS = { Sum: 'axis', Mean: 'axis', Max: 'reductionIndices' } as const;
const wrapped = new WeakSet<tf.KernelFunc>();

/** Registers `kernelFunc` for wasm in place of the stock kernel, keeping its setup (other stock kernels need it). */
function replace(kernelName: string, kernelFunc: tf.KernelFunc): tf.KernelFunc | undefined {
  const stock = tf.getKernel(kernelName, 'wasm');
  if (stock?.kernelFunc === kernelFunc) return undefined;
  if (stock) tf.unregisterKernel(kernelName, 'wasm');
  // The stock setup binds the C++ function that other stock kernels (reductions, matMul) call directly.
  tf.registerKernel({ kernelName, backendName: 'wasm', setupFunc: stock?.setupFunc, kernelFunc });
  return stock?.kernelFunc;
}

/** Puts pipe's Transpose, Slice, Concat, SplitV, Identity and reductions in place of the stock wasm kernels (after importing the package). */
export function registerWasmKernels(): void {
  replace('Transpose', transposeKernel as tf.KernelFunc);
  stockSlice = replace('Slice', sliceKernel as tf.KernelFunc) ?? stockSlice;
  stockConcat = replace('Concat', concatKernel as tf.KernelFunc) ?? stockConcat;
  replace('SplitV', splitVKernel as unknown as tf.KernelFunc);
  stockIdentity = replace('Identity', identityKernel as tf.KernelFunc) ?? stockIdentity;
  for (const [name, axisAttr] of Object.entries(REDUCTIONS)) {
    const stock = tf.getKernel(name, 'wasm')?.kernelFunc;
    if (!stock || wrapped.has(stock)) continue;
    const kernel = withFastTranspose(stock, axisAttr);
    wrapped.add(kernel);
    replace(name, kernel);
  }
}
