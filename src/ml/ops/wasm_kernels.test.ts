import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { leakyRelu } from './activation.js';
import { randomArr, WASM_THREADS } from './testing.js';
import { reductionStats } from './wasm_kernels.js';

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
            const before = reductionStats.transposed;
            const got = tf.tidy(() => ops[op](tf.tensor(x, shape), axes, keepDims));
            const outer = axes.some((a, i) => a !== shape.length - axes.length + i);
            expect(reductionStats.transposed - before, `${op} [${axes}] transposed by pipe`).toBe(outer ? 1 : 0);
            expect(got.shape, `${op} [${axes}]`).toEqual(
              keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i)),
            );
            expect(got.dataSync(), `${op} over [${axes}], keepDims ${keepDims}`).toEqual(want);
            got.dispose();
          }
        }
      }
    });

    it('Concat and SplitV equal the cpu backend for every axis and dtype, zero-size inputs included', async () => {
      await initBackend('cpu');
      await initBackend('wasm', { threads });
      const cases: Array<{ shapes: number[][]; axis: number }> = [
        {
          shapes: [
            [1, 9, 7, 3],
            [1, 9, 7, 3],
          ],
          axis: 3,
        }, // pix2pix's discriminator input
        {
          shapes: [
            [2, 3, 4],
            [2, 5, 4],
            [2, 1, 4],
          ],
          axis: 1,
        },
        {
          shapes: [
            [3, 4],
            [2, 4],
          ],
          axis: 0,
        },
        {
          shapes: [
            [2, 3, 20],
            [2, 3, 17],
            [2, 3, 0],
          ],
          axis: -1,
        },
        {
          shapes: [
            [600, 300],
            [600, 200],
          ],
          axis: 1,
        }, // big enough to split between threads
      ];
      for (const { shapes, axis } of cases) {
        for (const dtype of ['float32', 'int32', 'bool'] as const) {
          const arrays = shapes.map((shape, i) =>
            Array.from(randomArr(shape, 40 + i).data, (v) => (dtype === 'float32' ? v : v > 0 ? 1 : 0)),
          );
          const run = async (backend: string) => {
            await tf.setBackend(backend);
            return tf.tidy(() => {
              const xs = arrays.map((a, i) => tf.tensor(a, shapes[i], dtype));
              const joined = tf.concat(xs, axis);
              const sizes = shapes.map((sh) => sh.at(axis)!);
              const parts = tf.split(joined, sizes, axis);
              return [joined, ...parts].map((t) => t.dataSync().slice());
            });
          };
          expect(await run('wasm'), `${dtype} concat/split of [${shapes.join('] [')}] on ${axis}`).toEqual(
            await run('cpu'),
          );
        }
      }
    });

    it('leakyRelu (XNNPACK PReLU, gradient dy * step) gives the stock ops’ bits, value and gradient', () => {
      const shape = [2, 9, 7, 16];
      const x = randomArr(shape, 50).data.map((v, i) => (i % 7 === 0 ? 0 : i % 11 === 0 ? -0 : v));
      const dy = tf.tensor(randomArr(shape, 51).data, shape);
      const run = (f: (t: tf.Tensor) => tf.Tensor) =>
        tf.tidy(() => {
          const [value, grad] = [f(tf.tensor(x, shape)), tf.grad((t: tf.Tensor) => f(t))(tf.tensor(x, shape), dy)];
          return [value, grad].map((t) => t.dataSync().slice());
        });
      const mine = run((t) => leakyRelu(t, 0.2));
      const stock = run((t) => tf.leakyRelu(t, 0.2));
      expect(mine[0]).toEqual(stock[0]);
      expect(mine[1]).toEqual(stock[1]);
      expect(tf.getKernel('Prelu', 'wasm')).toBeDefined();
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
