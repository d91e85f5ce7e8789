import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { reflectionPad } from './reflection_pad.js';
import { finiteDifferenceError, randomArr, relError, valueAndGrads, type Arr, WASM_THREADS } from './testing.js';

const BACKENDS = ['cpu', 'wasm'];

/** Reflect pad from slices, reverses and concats, whose stock gradients are correct (MirrorPad's is not). */
function reference(x: tf.Tensor4D, [t, b, l, r]: number[]): tf.Tensor4D {
  const along = (v: tf.Tensor4D, axis: 1 | 2, before: number, after: number): tf.Tensor4D => {
    const len = v.shape[axis];
    const parts: tf.Tensor4D[] = [];
    const take = (start: number, size: number) => {
      const begin = [0, 0, 0, 0];
      const sizes = [...v.shape];
      begin[axis] = start;
      sizes[axis] = size;
      return tf.reverse(tf.slice(v, begin, sizes), axis);
    };
    if (before > 0) parts.push(take(1, before));
    parts.push(v);
    if (after > 0) parts.push(take(len - 1 - after, after));
    return tf.concat(parts, axis);
  };
  return along(along(x, 1, t, b), 2, l, r);
}

const dyOf = (shape: number[]): Arr => randomArr(shape, 4245);

// Every case on the stock wasm build and on the threaded build (pipe's loader, 2 XNNPACK threads).
for (const threads of WASM_THREADS) {
  describe(`wasm on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await initBackend('cpu');
      // A silent fallback to the stock build would make this group a repeat of the first.
      expect((await initBackend('wasm', { threads })).threads).toBe(threads);
    });

    describe('reflectionPad', () => {
      const cases: Array<{ x: number[]; pad: [number, number, number, number] }> = [
        { x: [1, 6, 5, 2], pad: [3, 3, 3, 3] },
        { x: [2, 4, 7, 3], pad: [1, 2, 0, 3] },
        { x: [1, 5, 5, 1], pad: [4, 4, 4, 4] },
      ];
      for (const c of cases) {
        it(`pad ${c.pad.join(',')} on [${c.x.join(',')}]: value and gradient match a slice-built reference`, async () => {
          const inputs = [randomArr(c.x, 31)];
          const ref = await valueAndGrads('cpu', (x) => reference(x as tf.Tensor4D, c.pad), inputs, dyOf);
          for (const backend of BACKENDS) {
            const ours = (x: tf.Tensor) => reflectionPad(x as tf.Tensor4D, c.pad);
            const got = await valueAndGrads(backend, ours, inputs, dyOf);
            expect(relError(got.value, ref.value), backend).toBe(0);
            expect(relError(got.grads[0], ref.grads[0]), backend).toBeLessThan(1e-6);
            expect(await finiteDifferenceError(backend, ours, inputs, 0, got.grads, dyOf), backend).toBeLessThan(1e-3);
          }
        });
      }

      it('propagates NaNs into the reflected border', async () => {
        const x = randomArr([1, 4, 4, 1], 32);
        x.data[5] = NaN;
        const got = await valueAndGrads('wasm', (t) => reflectionPad(t as tf.Tensor4D, 1), [x], dyOf);
        expect(got.value.filter(Number.isNaN).length).toBe(4);
      });

      it('rejects a pad as large as the input', () => {
        expect(() => reflectionPad(tf.zeros([1, 3, 3, 1]) as tf.Tensor4D, 3)).toThrow(/smaller than the input size/);
      });
    });
  });
}
