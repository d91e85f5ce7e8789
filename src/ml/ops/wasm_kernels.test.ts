import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { randomArr, WASM_THREADS } from './testing.js';

/**
 * The stock wasm reductions' arithmetic: a float32 accumulator over the reduced elements in row-major order (the
 * mean divides that sum once). pipe only changes how the input is transposed before it, so results stay these bits.
 */
function sequential(x: Float32Array, shape: number[], axes: number[], op: 'sum' | 'mean' | 'max'): Float32Array {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const outSize = kept.reduce((n, a) => n * shape[a]!, 1);
  const reduceSize = x.length / outSize;
  const out = new Float32Array(outSize);
  const index = new Array<number>(shape.length);
  for (let o = 0; o < outSize; o++) {
    let acc = op === 'max' ? -Infinity : 0;
    for (let r = 0; r < reduceSize; r++) {
      let rest = o * reduceSize + r;
      for (let k = perm.length - 1; k >= 0; k--) {
        index[perm[k]!] = rest % shape[perm[k]!]!;
        rest = Math.floor(rest / shape[perm[k]!]!);
      }
      const v = x[index.reduce((s, i, a) => s + i * strides[a]!, 0)]!;
      acc = op === 'max' ? Math.max(acc, v) : Math.fround(acc + v);
    }
    out[o] = op === 'mean' ? Math.fround(acc / reduceSize) : acc;
  }
  return out;
}

for (const threads of WASM_THREADS) {
  describe(`wasm kernels replaced by pipe, on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      expect((await initBackend('wasm', { threads })).threads).toBe(threads);
    });

    it('Sum, Mean and Max over outer axes keep the stock arithmetic bit for bit, with and without keepDims', () => {
      const shape = [2, 37, 41, 13];
      const x = randomArr(shape, 3).data;
      const ops = { sum: tf.sum, mean: tf.mean, max: tf.max } as const;
      for (const axes of [[0, 1, 2], [1], [0, 3], [3], [1, 2, 3]]) {
        for (const op of ['sum', 'mean', 'max'] as const) {
          const want = sequential(x, shape, axes, op);
          for (const keepDims of [false, true]) {
            const got = tf.tidy(() => ops[op](tf.tensor(x, shape), axes, keepDims));
            expect(got.shape, `${op} [${axes}]`).toEqual(
              keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i)),
            );
            expect(got.dataSync(), `${op} over [${axes}], keepDims ${keepDims}`).toEqual(want);
            got.dispose();
          }
        }
      }
    });

    it('tf.clone shares storage (no copy) and disposing either side keeps the other', () => {
      const before = tf.memory().numBytes;
      const a = tf.tensor(randomArr([1000], 1).data);
      const b = a.clone();
      expect(b.dataId).toBe(a.dataId);
      const want = a.dataSync().slice();
      a.dispose();
      expect(b.dataSync()).toEqual(want);
      b.dispose();
      expect(tf.memory().numBytes).toBe(before);
    });
  });
}
