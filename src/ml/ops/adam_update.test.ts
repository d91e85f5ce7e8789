import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { adamUpdate } from './adam_update.js';
import { randomArr, relError, WASM_THREADS } from './testing.js';

/** torch.optim.Adam's step in tensor ops (what src/ml/train/adam.ts does). */
function reference(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, step: number) {
  const [b1, b2, lr, eps] = [0.5, 0.999, 0.0002, 1e-8];
  const m2 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
  const v2 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
  const denom = tf.add(tf.div(tf.sqrt(v2), Math.sqrt(1 - b2 ** step)), eps);
  return { p: tf.sub(p, tf.mul(tf.div(m2, denom), lr / (1 - b1 ** step))), m: m2, v: v2 };
}

// Every case on the stock wasm build and on the threaded build (pipe's loader, 2 XNNPACK threads).
for (const threads of WASM_THREADS) {
  describe(`wasm on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await initBackend('cpu');
      // A silent fallback to the stock build would make this group a repeat of the first.
      expect((await initBackend('wasm', { threads })).threads).toBe(threads);
    });

    describe('adamUpdate', () => {
      it('wasm: a conv with the updated parameter as its filter sees the new values (XNNPACK caches by storage id)', async () => {
        await tf.setBackend('wasm');
        const x = tf.ones([1, 3, 3, 2]) as tf.Tensor4D;
        const w = tf.variable(tf.ones([3, 3, 2, 2]));
        const m = tf.variable(tf.zeros([3, 3, 2, 2]));
        const v = tf.variable(tf.zeros([3, 3, 2, 2]));
        const before = tf.conv2d(x, w as unknown as tf.Tensor4D, 1, 'valid').dataSync()[0];
        adamUpdate(w, m, v, tf.ones([3, 3, 2, 2]), { lr: 0.5, beta1: 0.5, beta2: 0.999, eps: 1e-8, step: 1 });
        const after = tf.conv2d(x, w as unknown as tf.Tensor4D, 1, 'valid').dataSync()[0];
        expect(before).toBeCloseTo(18, 4);
        expect(after).toBeCloseTo(9, 3);
      });

      for (const backend of ['cpu', 'wasm']) {
        it(`${backend}: three steps equal torch.optim.Adam's formula in tensor ops`, async () => {
          await tf.setBackend(backend);
          const shape = [3, 5, 7];
          const init = randomArr(shape, 51);
          const p = tf.variable(tf.tensor(init.data, shape));
          const m = tf.variable(tf.zeros(shape));
          const v = tf.variable(tf.zeros(shape));
          let ref = { p: tf.tensor(init.data, shape), m: tf.zeros(shape), v: tf.zeros(shape) };
          for (let step = 1; step <= 3; step++) {
            const g = tf.tensor(randomArr(shape, 60 + step).data, shape);
            adamUpdate(p, m, v, g, { lr: 0.0002, beta1: 0.5, beta2: 0.999, eps: 1e-8, step });
            ref = reference(ref.p, ref.m, ref.v, g, step);
          }
          expect(relError(p.dataSync() as Float32Array, ref.p.dataSync() as Float32Array)).toBeLessThan(1e-6);
          expect(relError(m.dataSync() as Float32Array, ref.m.dataSync() as Float32Array)).toBeLessThan(1e-6);
          expect(relError(v.dataSync() as Float32Array, ref.v.dataSync() as Float32Array)).toBeLessThan(1e-6);
        });

        it(`${backend}: never changes another tensor that shares the parameter's storage`, async () => {
          await tf.setBackend(backend);
          const init = tf.tensor1d([1, 2, 3]);
          const p = tf.variable(init); // shares init's storage
          const snapshot = tf.clone(p);
          const m = tf.variable(tf.zeros([3]));
          const v = tf.variable(tf.zeros([3]));
          adamUpdate(p, m, v, tf.tensor1d([1, -1, 0.5]), { lr: 0.1, beta1: 0.5, beta2: 0.999, eps: 1e-8, step: 1 });
          expect(Array.from(init.dataSync())).toEqual([1, 2, 3]);
          expect(Array.from(snapshot.dataSync())).toEqual([1, 2, 3]);
          expect(Array.from(p.dataSync()).map((x) => Number(x.toFixed(4)))).toEqual([0.9, 2.1, 2.9]);
        });

        it(`${backend}: NaN gradients propagate into the parameter`, async () => {
          await tf.setBackend(backend);
          const p = tf.variable(tf.tensor1d([1, 2]));
          const m = tf.variable(tf.zeros([2]));
          const v = tf.variable(tf.zeros([2]));
          adamUpdate(p, m, v, tf.tensor1d([NaN, 1]), { lr: 0.1, beta1: 0.5, beta2: 0.999, eps: 1e-8, step: 1 });
          const out = p.dataSync();
          expect(Number.isNaN(out[0])).toBe(true);
          expect(out[1]).toBeCloseTo(1.9, 4);
        });
      }
    });
  });
}
