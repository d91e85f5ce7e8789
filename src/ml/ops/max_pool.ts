// Max pooling (kernel 2 or 3, any stride, PyTorch's ceil_mode) with a gradient built from slices, compares and pads.
// wasm's MaxPoolGrad is wrong (relative error ~0.9), and the perceptual loss back-propagates through VGG's pools.
// The gradient goes to the first maximum of each window in row-major order, as PyTorch and tfjs-cpu do: after a ReLU
// whole windows are often tied at 0, and sending the gradient to every tied element would multiply it.
import * as tf from '@tensorflow/tfjs-core';
import { isWebgpu } from '../webgpu/kernel.js';
import { maxPoolGradWebgpu, maxPoolWebgpu, type PoolGeometry } from '../webgpu/max-pool.js';
import { poolOutSize, type Padding } from './geometry.js';

interface Window1d {
  k: number;
  s: number;
  /** Output length; the input view is exactly (out-1)*s + k long. */
  out: number;
}

/** Pads (value) or crops a [N,H,W,C] tensor per side; negative amounts crop. */
function padOrCrop(
  x: tf.Tensor4D,
  top: number,
  bottom: number,
  left: number,
  right: number,
  value: number,
): tf.Tensor4D {
  let t = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = t.shape;
    const ct = Math.max(0, -top);
    const cl = Math.max(0, -left);
    t = tf.slice(t, [0, ct, cl, 0], [n, h - ct - Math.max(0, -bottom), w - cl - Math.max(0, -right), c]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    t = tf.pad(
      t,
      [
        [0, 0],
        [Math.max(0, top), Math.max(0, bottom)],
        [Math.max(0, left), Math.max(0, right)],
        [0, 0],
      ],
      value,
    );
  }
  return t;
}

/** The k window taps of a 1-D pool along the middle axis of v [A, L, B]: tap j is rows j, j+s, ..., each [A, out, B]. */
function taps(v: tf.Tensor3D, w: Window1d): tf.Tensor3D[] {
  const [a, len, b] = v.shape;
  const blocks = w.out - 1 + Math.ceil(w.k / w.s);
  const padded =
    blocks * w.s > len
      ? tf.pad(v, [
          [0, 0],
          [0, blocks * w.s - len],
          [0, 0],
        ])
      : v;
  const grid = tf.reshape(padded, [a, blocks, w.s, b]);
  const out: tf.Tensor3D[] = [];
  for (let j = 0; j < w.k; j++) {
    const row = Math.floor(j / w.s);
    const phase = j % w.s;
    out.push(tf.reshape(tf.slice(grid, [0, row, phase, 0], [a, w.out, 1, b]), [a, w.out, b]));
  }
  return out;
}

/** False where dataSync would throw: tfjs-backend-webgpu reads synchronously through OffscreenCanvas, absent in Node. */
function readsSync(): boolean {
  return (
    tf.getBackend() !== 'webgpu' || typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined'
  );
}

/** Elementwise max that is NaN where either side is (wasm's Maximum keeps only a NaN in its first argument). */
function nanMaximum<T extends tf.Tensor>(a: T, b: T): T {
  return tf.where(tf.logicalOr(tf.isNaN(a), tf.isNaN(b)), tf.add(a, b), tf.maximum(a, b)) as T;
}

/**
 * The max of each window along the middle axis of v [A, L, B], for inputs without NaN: the stock max pool with a
 * k x 1 window, one kernel (on wasm XNNPACK's, ~20x faster than wasm's Maximum over the taps). Max is exact, so the
 * values equal the taps' maximum.
 */
function windowMax(v: tf.Tensor3D, w: Window1d): tf.Tensor3D {
  const [a, len, b] = v.shape;
  const need = (w.out - 1) * w.s + w.k;
  const used = need === len ? v : tf.slice(v, [0, 0, 0], [a, need, b]);
  const pooled = tf.maxPool(tf.reshape(used, [a, need, 1, b]) as tf.Tensor4D, [w.k, 1], [w.s, 1], 'valid');
  return tf.reshape(pooled, [a, w.out, b]) as tf.Tensor3D;
}

/** Gradient of a 1-D max pool along the middle axis of v [A, L, B] for dy [A, out, B]: first maximum of each window. */
function pool1dGrad(v: tf.Tensor3D, dy: tf.Tensor3D, w: Window1d, nan: boolean): tf.Tensor3D {
  const [a, len, b] = v.shape;
  const t = taps(v, w);
  const y = nan ? t.reduce(nanMaximum) : windowMax(v, w);
  let taken: tf.Tensor | undefined;
  const grads: tf.Tensor3D[] = [];
  for (const tap of t) {
    // A NaN in the window is its maximum (see forward), so it takes the gradient like PyTorch.
    const eq = nan ? tf.logicalOr(tf.equal(tap, y), tf.logicalAnd(tf.isNaN(tap), tf.isNaN(y))) : tf.equal(tap, y);
    const first = taken ? tf.logicalAnd(eq, tf.logicalNot(taken)) : eq;
    taken = taken ? tf.logicalOr(taken, eq) : eq;
    grads.push(tf.where(first, dy, tf.zerosLike(dy)));
  }
  // Scatter each tap's gradient back to rows j, j+s, ...: rows q*s + phase of block (q + row).
  const blocks = w.out - 1 + Math.ceil(w.k / w.s);
  const zero = tf.zeros([a, w.out, 1, b]);
  const parts: tf.Tensor4D[] = [];
  for (let row = 0; row * w.s < w.k; row++) {
    const phases: tf.Tensor[] = [];
    for (let phase = 0; phase < w.s; phase++) {
      const j = row * w.s + phase;
      phases.push(j < w.k ? tf.reshape(grads[j], [a, w.out, 1, b]) : zero);
    }
    const block = (phases.length === 1 ? phases[0] : tf.concat(phases, 2)) as tf.Tensor4D;
    parts.push(
      tf.pad(block, [
        [0, 0],
        [row, blocks - w.out - row],
        [0, 0],
        [0, 0],
      ]),
    );
  }
  const summed = parts.length === 1 ? parts[0] : tf.addN(parts);
  const flat: tf.Tensor3D = tf.reshape(summed, [a, blocks * w.s, b]);
  return blocks * w.s === len ? flat : tf.slice(flat, [0, 0, 0], [a, len, b]);
}

function poolPads(size: number, k: number, s: number, pad: Padding, axis: 1 | 2): [number, number] {
  if (pad === 'valid') return [0, 0];
  if (pad === 'same') {
    const out = Math.ceil(size / s);
    const total = Math.max(0, (out - 1) * s + k - size);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  if (typeof pad === 'number') {
    if (!Number.isInteger(pad) || pad < 0 || pad > k / 2) {
      throw new Error(`maxPool: padding must be an integer between 0 and half the window (${k / 2}), got ${pad}`);
    }
    return [pad, pad];
  }
  return pad[axis];
}

/**
 * Max pool over NHWC `x` with a size x size window. `pad` as conv2d (a number pads every side with -inf, as PyTorch);
 * `ceilMode` is PyTorch's ceil_mode (SqueezeNet's pools). A window holding a NaN yields NaN, as in PyTorch.
 */
export function maxPool(x: tf.Tensor4D, size: number, strides: number, pad: Padding, ceilMode = false): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`maxPool: input must be rank 4 (NHWC), got shape [${x.shape.join(', ')}]`);
  if (!Number.isInteger(size) || size < 1) throw new Error(`maxPool: size must be a positive integer, got ${size}`);
  if (!Number.isInteger(strides) || strides < 1)
    throw new Error(`maxPool: stride must be a positive integer, got ${strides}`);
  const [n, h, w, c] = x.shape;
  const [pt, pb] = poolPads(h, size, strides, pad, 1);
  const [pl, pr] = poolPads(w, size, strides, pad, 2);
  const outH = poolOutSize(h, size, strides, pt, pb, ceilMode);
  const outW = poolOutSize(w, size, strides, pl, pr, ceilMode);
  const needH = (outH - 1) * strides + size;
  const needW = (outW - 1) * strides + size;
  if (isWebgpu() && x.dtype === 'float32') {
    return maxPoolOnWebgpu(x, { k: size, s: strides, outH, outW, padTop: pt, padLeft: pl });
  }
  const winH: Window1d = { k: size, s: strides, out: outH };
  const winW: Window1d = { k: size, s: strides, out: outW };

  const op = tf.customGrad((xIn, save) => {
    const xt = xIn as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xt]);
    const value = tf.tidy(() => {
      const xp = padOrCrop(xt, pt, needH - h - pt, pl, needW - w - pl, -Infinity);
      const y = tf.maxPool(xp, size, strides, 'valid');
      // Stock pooling kernels skip NaN; pool a NaN map to put it back.
      const nanMap = tf.maxPool(tf.cast(tf.isNaN(xp), 'float32'), size, strides, 'valid');
      return tf.where(tf.greater(nanMap, 0), tf.fill(y.shape, NaN), y) as tf.Tensor4D;
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const xp = padOrCrop(saved[0] as tf.Tensor4D, pt, needH - h - pt, pl, needW - w - pl, -Infinity);
          // Separable: pool along W, then along H; first-max along W then H is the row-major first max of the window.
          // NaN-aware compares cost ~6 extra kernels per pass: only pay them when the input holds a NaN. Finding out
          // is a synchronous read, which webgpu in Node lacks: there, always compare NaN-aware (same values).
          const nan = !readsSync() || tf.any(tf.isNaN(xp)).dataSync()[0] === 1;
          const max = nan ? nanMaximum : <T extends tf.Tensor>(a: T, b: T) => tf.maximum(a, b) as T;
          const rows = tf.reshape(xp, [n * needH, needW, c]) as tf.Tensor3D;
          const rowMax = nan ? taps(rows, winW).reduce(max) : windowMax(rows, winW);
          const t = tf.reshape(rowMax, [n, needH, outW * c]) as tf.Tensor3D;
          const dt = pool1dGrad(t, tf.reshape(dy, [n, outH, outW * c]), winH, nan);
          const dxp = tf.reshape(pool1dGrad(rows, tf.reshape(dt, [n * needH, outW, c]), winW, nan), [
            n,
            needH,
            needW,
            c,
          ]) as tf.Tensor4D;
          return padOrCrop(dxp, -pt, h + pt - needH, -pl, w + pl - needW, 0);
        }),
    };
  });
  return op(x) as tf.Tensor4D;
}

/** On webgpu: one of pipe's kernels each way (src/ml/webgpu/max-pool.ts), the same semantics. */
function maxPoolOnWebgpu(x: tf.Tensor4D, g: PoolGeometry): tf.Tensor4D {
  const op = tf.customGrad((xIn, save) => {
    (save as tf.GradSaveFunc)([xIn as tf.Tensor]);
    return {
      value: maxPoolWebgpu(xIn as tf.Tensor, g),
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => maxPoolGradWebgpu(dy, saved!, g),
    };
  });
  return op(x) as tf.Tensor4D;
}
