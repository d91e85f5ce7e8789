// Helpers for the ops' gradient tests: deterministic data, gradients on a chosen backend, finite differences.
import * as tf from '@tensorflow/tfjs-core';

export interface Arr {
  data: Float32Array;
  shape: number[];
}

/** Deterministic uniform(-1, 1) data (a small LCG: tests must not depend on Math.random). */
export function randomArr(shape: number[], seed: number): Arr {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 4294967296) * 2 - 1;
  }
  return { data, shape };
}

/** Distinct values (a shuffled grid with spacing 2/n), so that no max-pool window is near a tie. */
export function distinctArr(shape: number[], seed: number): Arr {
  const n = shape.reduce((a, b) => a * b, 1);
  const order = randomArr([n], seed).data;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => order[a] - order[b]);
  const data = new Float32Array(n);
  idx.forEach((v, i) => (data[i] = (v / n) * 2 - 1));
  return { data, shape };
}

export interface Result {
  value: Float32Array;
  grads: Float32Array[];
}

/** Runs `f` on `backend` and returns its value and the gradients of sum(f * dy) for every input. */
export async function valueAndGrads(
  backend: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Arr[],
  dy: (shape: number[]) => Arr,
): Promise<Result> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const xs = inputs.map((a) => tf.tensor(a.data, a.shape));
    const value = f(...xs);
    const d = dy(value.shape);
    const grads = tf.grads((...args: tf.Tensor[]) => f(...args))(xs, tf.tensor(d.data, d.shape));
    return { value: value.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

/** max |a - b| / max |b|; NaNs must sit at the same places (else Infinity). */
export function relError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = 1e-12;
  for (let i = 0; i < a.length; i++) {
    const an = Number.isNaN(a[i]);
    const bn = Number.isNaN(b[i]);
    if (an !== bn) return Infinity;
    if (an) continue;
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/**
 * Directional finite difference of L(x) = sum(f(x) * w) along a random direction v for input `which`, against the
 * analytic <grad, v>. Returns the relative error. Central differences are exact for (piecewise) linear ops up to
 * float32 rounding, so a large step keeps rounding small.
 */
export async function finiteDifferenceError(
  backend: string,
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: Arr[],
  which: number,
  grads: Float32Array[],
  w: (shape: number[]) => Arr,
  step = 1e-2,
): Promise<number> {
  await tf.setBackend(backend);
  const v = randomArr(inputs[which].shape, 977 + which);
  const loss = (t: number): number =>
    tf.tidy(() => {
      const xs = inputs.map((a, i) => {
        const base = tf.tensor(a.data, a.shape);
        return i === which ? tf.add(base, tf.mul(tf.tensor(v.data, v.shape), t)) : base;
      });
      const y = f(...xs);
      const wa = w(y.shape);
      // Sum in float64 on the JS side: the float32 sum's rounding would swamp the difference.
      const yv = y.dataSync();
      let s = 0;
      for (let i = 0; i < yv.length; i++) s += yv[i] * wa.data[i];
      return s;
    });
  const fd = (loss(step) - loss(-step)) / (2 * step);
  let analytic = 0;
  let scale = 0;
  const g = grads[which];
  for (let i = 0; i < g.length; i++) {
    analytic += g[i] * v.data[i];
    scale += Math.abs(g[i] * v.data[i]);
  }
  // Relative to the sum of magnitudes: a directional derivative can cancel to near zero.
  return Math.abs(fd - analytic) / Math.max(scale, 1e-6);
}

/** wasm thread counts every ops test runs on: the stock build (1) and the threaded build (2). */
export const WASM_THREADS = [1, 2] as const;
