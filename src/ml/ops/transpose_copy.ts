// Transpose as cache-friendly copies, for the wasm backend. tfjs-backend-wasm's Transpose walks the output in order
// and reads the input with the full stride of the moved axis: ~13 ns per element on a [8192, 1024] filter, where a
// tiled copy takes ~1 ns. Transposes are 10 % of a pix2pix 256² step (conv filter layouts, depthToSpace, the filter
// gradient's channel swap) and run on one thread, so they cap what threads can gain (docs/performance-cpu.md).
// The loops themselves are in heap_loops.ts. Exact: values are only moved, so results are bit-identical to the stock kernel.

import { copyRange, runsPlan, stridesOf, type CopyPlan } from './heap_loops.js';

type Values = Float32Array | Int32Array | Uint8Array;

export interface Permutation {
  shape: number[];
  perm: number[];
}

/**
 * The same transpose with size-1 axes dropped and each run of axes that stays adjacent and in order merged into one:
 * [1, H, W, C] by [3, 1, 2, 0] is the 2-D [H*W, C] by [1, 0]. Fewer, longer axes mean longer inner loops.
 */
export function canonicalPermutation(shape: number[], perm: number[]): Permutation {
  const kept = shape.map((_, i) => i).filter((i) => shape[i] !== 1);
  const rank = new Map(kept.map((axis, r) => [axis, r]));
  const order = perm.filter((axis) => shape[axis] !== 1).map((axis) => rank.get(axis)!);
  // Groups of input axes, in output order, that stay contiguous.
  const groups: number[][] = [];
  for (const axis of order) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] === axis - 1) last.push(axis);
    else groups.push([axis]);
  }
  const byInput = [...groups].sort((a, b) => a[0]! - b[0]!);
  return {
    shape: byInput.map((g) => g.reduce((n, axis) => n * shape[kept[axis]!]!, 1)),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

/** The loops that execute a transpose of `shape` by `perm` (as in tf.transpose). */
export function transposePlan(shape: number[], perm: number[]): CopyPlan {
  const c = canonicalPermutation(shape, perm);
  const r = c.shape.length;
  const inStrides = stridesOf(c.shape);
  const outStrides = stridesOf(c.perm.map((a) => c.shape[a]!));
  const outStrideOf = new Array<number>(r);
  c.perm.forEach((axis, k) => (outStrideOf[axis] = outStrides[k]!));
  // The odometer over `outer` input axes: their sizes and their strides in the input and the output.
  const axes = (outer: number[]): [number[], number[], number[]] => [
    outer.map((a) => c.shape[a]!),
    outer.map((a) => inStrides[a]!),
    outer.map((a) => outStrideOf[a]!),
  ];
  // Rank 0 or 1 is a plain copy; the innermost axis staying innermost is a copy of runs of it.
  if (r <= 1) return runsPlan([], [], [], c.shape[0] ?? 1);
  if (c.perm[r - 1] === r - 1) return runsPlan(...axes(c.perm.slice(0, r - 1)), c.shape[r - 1]!);
  // Otherwise the output's innermost axis is input axis a, and the input's innermost lands at stride outStrideOf[r-1].
  const a = c.perm[r - 1]!;
  const [sizes, inS, outS] = axes(c.perm.filter((axis) => axis !== a && axis !== r - 1));
  const cols = c.shape[r - 1]!;
  return {
    kind: 'tile',
    sizes,
    inStrides: inS,
    outStrides: outS,
    run: 0,
    rows: c.shape[a]!,
    cols,
    inStride: inStrides[a]!,
    outStride: outStrideOf[r - 1]!,
    split: sizes[0] ?? cols,
  };
}

/** Writes the transpose of x (shape, perm as in tf.transpose) into out, which has x's size. */
export function transposeInto(x: Values, out: Values, shape: number[], perm: number[]): void {
  const p = transposePlan(shape, perm);
  copyRange(x, out, p, 0, p.split);
}
