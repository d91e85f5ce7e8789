// The loops pipe runs over the wasm heap in JavaScript: the Adam update and the strided copies of transposes and slices. They are plain
// functions of typed arrays with no imports and no inner named functions, because heap_pool.ts also runs them in its
// worker threads from their source text (Function.prototype.toString), so the main thread and the workers execute
// the same code and produce the same bits.

type Values = Float32Array | Int32Array | Uint8Array;

/** The Adam hyper-parameters one update needs, bias corrections already folded in. */
export interface AdamScalars {
  b1: number;
  b2: number;
  eps: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** sqrt(1 - beta2^t) */
  rootC2: number;
}

/**
 * Elements [lo, hi) of one Adam update (torch.optim.Adam's arrangement): m and v in place, the new parameter into N.
 * Double-precision arithmetic, rounded to float32 on store.
 */
export function adamRange(
  P: Float32Array,
  M: Float32Array,
  V: Float32Array,
  G: Float32Array,
  N: Float32Array,
  lo: number,
  hi: number,
  s: AdamScalars,
): void {
  const { b1, b2, eps, stepSize, rootC2 } = s;
  const a1 = 1 - b1;
  const a2 = 1 - b2;
  for (let i = lo; i < hi; i++) {
    const gi = G[i]!;
    const mi = b1 * M[i]! + a1 * gi;
    const vi = b2 * V[i]! + a2 * gi * gi;
    M[i] = mi;
    V[i] = vi;
    N[i] = P[i]! - (stepSize * mi) / (Math.sqrt(vi) / rootC2 + eps);
  }
}

/** Tile edge of tile2d: 64 x 64 floats is 16 KB, half of L1, and was fastest on [8192, 1024] (2.9 vs 3.4 ns at 32). */
export const TILE = 64;

/** out[o + j*outStride + i] = x[xi + i*inStride + j] for i < rows, lo <= j < hi, in TILE x TILE blocks. */
export function tile2d(
  x: Values,
  out: Values,
  xi: number,
  o: number,
  rows: number,
  lo: number,
  hi: number,
  inStride: number,
  outStride: number,
): void {
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(rows, i0 + TILE);
    for (let j0 = lo; j0 < hi; j0 += TILE) {
      const j1 = Math.min(hi, j0 + TILE);
      for (let j = j0; j < j1; j++) {
        const ob = o + j * outStride;
        const xb = xi + j;
        for (let i = i0; i < i1; i++) out[ob + i] = x[xb + i * inStride]!;
      }
    }
  }
}

/**
 * A transpose or a slice reduced to loops of copies (transpose_copy.ts and slice_copy.ts build them): all the loops
 * below need, as plain numbers.
 */
export interface CopyPlan {
  /** Odometer axes around the inner copy: sizes and strides in the input and the output. */
  sizes: number[];
  inStrides: number[];
  outStrides: number[];
  /** 'run': copy runs of `run` elements; 'tile': a rows x cols tile transpose per odometer position. */
  kind: 'run' | 'tile';
  run: number;
  rows: number;
  cols: number;
  inStride: number;
  outStride: number;
  /**
   * The dimension split between threads: the first odometer axis, or (no odometer axes) the tile's columns. Its
   * size is `split`.
   */
  split: number;
}

/** Row-major strides of `shape`, in elements (for the plan builders; the workers never need it). */
export function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** A plan that copies `run` contiguous elements at every position of the odometer axes (sizes and strides). */
export function runsPlan(sizes: number[], inStrides: number[], outStrides: number[], run: number): CopyPlan {
  const tile = { rows: 0, cols: 0, inStride: 0, outStride: 0 };
  return { kind: 'run', sizes, inStrides, outStrides, run, ...tile, split: sizes[0] ?? run };
}

/** Executes the part [lo, hi) of the split dimension of a plan: the whole copy is [0, plan.split). */
export function copyRange(x: Values, out: Values, plan: CopyPlan, lo: number, hi: number): void {
  const n = plan.sizes.length;
  if (hi <= lo) return;
  if (n === 0 && plan.kind === 'run') {
    out.set(x.subarray(lo, hi), lo);
    return;
  }
  if (n === 0) {
    tile2d(x, out, 0, 0, plan.rows, lo, hi, plan.inStride, plan.outStride);
    return;
  }
  const sizes = plan.sizes.slice();
  sizes[0] = hi - lo;
  const index = new Array<number>(n).fill(0);
  let xi = lo * plan.inStrides[0]!;
  let o = lo * plan.outStrides[0]!;
  for (;;) {
    if (plan.kind === 'tile') {
      tile2d(x, out, xi, o, plan.rows, 0, plan.cols, plan.inStride, plan.outStride);
    } else if (plan.run >= 16) {
      out.set(x.subarray(xi, xi + plan.run), o);
    } else {
      for (let k = 0; k < plan.run; k++) out[o + k] = x[xi + k]!;
    }
    let k = n - 1;
    for (; k >= 0; k--) {
      index[k]!++;
      xi += plan.inStrides[k]!;
      o += plan.outStrides[k]!;
      if (index[k]! < sizes[k]!) break;
      xi -= plan.inStrides[k]! * sizes[k]!;
      o -= plan.outStrides[k]! * sizes[k]!;
      index[k] = 0;
    }
    if (k < 0) return;
  }
}

/** One thread's share of a pool job, as posted to a worker: heap offsets in bytes, ranges in elements. */
export type HeapTask =
  | { kind: 'none' }
  | {
      kind: 'adam';
      buffer: ArrayBufferLike;
      offsets: number[];
      size: number;
      lo: number;
      hi: number;
      s: AdamScalars;
      /** adam_wasm.ts's module and the heap's memory: the same arithmetic, two elements per instruction. */
      wasm?: { module: WebAssembly.Module; memory: WebAssembly.Memory };
    }
  | {
      kind: 'copy';
      buffer: ArrayBufferLike;
      dtype: 'float32' | 'int32' | 'bool';
      xOffset: number;
      xSize: number;
      outOffset: number;
      outSize: number;
      plan: CopyPlan;
      lo: number;
      hi: number;
    };

/** Runs one task on the calling thread (the main thread's share, or a worker's). */
export function runHeapTask(t: HeapTask): void {
  if (t.kind === 'adam' && t.wasm) {
    const { exports } = new WebAssembly.Instance(t.wasm.module, { env: { memory: t.wasm.memory } });
    const [p, m, v, g, n] = t.offsets;
    (exports.adam as (...args: number[]) => void)(
      p!,
      m!,
      v!,
      g!,
      n!,
      t.lo,
      t.hi,
      t.s.b1,
      t.s.b2,
      t.s.stepSize,
      t.s.rootC2,
      t.s.eps,
    );
  } else if (t.kind === 'adam') {
    const [p, m, v, g, n] = t.offsets.map((off) => new Float32Array(t.buffer as ArrayBuffer, off, t.size));
    adamRange(p!, m!, v!, g!, n!, t.lo, t.hi, t.s);
  } else if (t.kind === 'copy') {
    const Type = t.dtype === 'float32' ? Float32Array : t.dtype === 'int32' ? Int32Array : Uint8Array;
    const buffer = t.buffer as ArrayBuffer;
    copyRange(new Type(buffer, t.xOffset, t.xSize), new Type(buffer, t.outOffset, t.outSize), t.plan, t.lo, t.hi);
  }
}
