import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { leakyRelu } from './activation.js';
import { batchNorm, instanceNorm, normalizeAct } from './normalize.js';
import { finiteDifferenceError, randomArr, relError, valueAndGrads, type Arr, WASM_THREADS } from './testing.js';

const BACKENDS = ['cpu', 'wasm'];
const dyOf = (shape: number[]): Arr => randomArr(shape, 4246);
const vec = (t: tf.Tensor) => t as tf.Tensor1D;

/** The stock composition the models used before: tf.moments + tf.batchNorm, gradients through both. */
function stockNorm(x: tf.Tensor, axes: number[], gamma?: tf.Tensor, beta?: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, axes, true);
  const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  return gamma && beta ? tf.add(tf.mul(xhat, gamma), beta) : xhat;
}

// Every case on the stock wasm build and on the threaded build (pipe's loader, 2 XNNPACK threads).
for (const threads of WASM_THREADS) {
  describe(`wasm on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await initBackend('cpu');
      // A silent fallback to the stock build would make this group a repeat of the first.
      expect((await initBackend('wasm', { threads })).threads).toBe(threads);
    });

    describe('batchNorm / instanceNorm', () => {
      const x = [2, 5, 4, 3];
      it('batchNorm: value and gradients (x, gamma, beta) match the stock composition and finite differences', async () => {
        const inputs = [randomArr(x, 71), randomArr([3], 72), randomArr([3], 73)];
        const ref = await valueAndGrads('cpu', (a, g, b) => stockNorm(a, [0, 1, 2], g, b), inputs, dyOf);
        for (const backend of BACKENDS) {
          const ours = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
            batchNorm(a as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D);
          const got = await valueAndGrads(backend, ours, inputs, dyOf);
          expect(relError(got.value, ref.value), backend).toBeLessThan(1e-5);
          for (let i = 0; i < 3; i++) {
            expect(relError(got.grads[i], ref.grads[i]), `${backend} grad ${i}`).toBeLessThan(1e-4);
            expect(
              await finiteDifferenceError(backend, ours, inputs, i, got.grads, dyOf, 1e-3),
              `${backend} fd ${i}`,
            ).toBeLessThan(2e-3);
          }
        }
      });

      it('instanceNorm: value and gradient match the stock composition and finite differences', async () => {
        const inputs = [randomArr(x, 74)];
        const ref = await valueAndGrads('cpu', (a) => stockNorm(a, [1, 2]), inputs, dyOf);
        for (const backend of BACKENDS) {
          const ours = (a: tf.Tensor) => instanceNorm(a as tf.Tensor4D);
          const got = await valueAndGrads(backend, ours, inputs, dyOf);
          expect(relError(got.value, ref.value), backend).toBeLessThan(1e-5);
          expect(relError(got.grads[0], ref.grads[0]), backend).toBeLessThan(1e-4);
          expect(await finiteDifferenceError(backend, ours, inputs, 0, got.grads, dyOf, 1e-3), backend).toBeLessThan(
            2e-3,
          );
        }
      });

      it('propagates NaNs to the whole normalised group only', async () => {
        const a = randomArr([2, 3, 3, 2], 75);
        a.data[0] = NaN; // image 0, channel 0
        for (const backend of BACKENDS) {
          const got = await valueAndGrads(backend, (t) => instanceNorm(t as tf.Tensor4D), [a], dyOf);
          const nanAt = Array.from(got.value, (v, i) => (Number.isNaN(v) ? i : -1)).filter((i) => i >= 0);
          expect(nanAt.length, backend).toBe(9);
          expect(
            nanAt.every((i) => i < 18 && i % 2 === 0),
            backend,
          ).toBe(true);
        }
      });

      it('normalizeAct is exactly the norm then the activation here (values and gradients, bit for bit)', async () => {
        const inputs = [randomArr(x, 76), randomArr([3], 77), randomArr([3], 78)];
        for (const backend of BACKENDS) {
          for (const alpha of [0, 0.2]) {
            for (const kind of ['batch', 'instance'] as const) {
              const fused = (a: tf.Tensor, gm: tf.Tensor, bt: tf.Tensor) =>
                normalizeAct(a as tf.Tensor4D, { kind, alpha, gamma: vec(gm), beta: vec(bt) });
              const apart = (a: tf.Tensor, gm: tf.Tensor, bt: tf.Tensor) =>
                leakyRelu(
                  kind === 'batch'
                    ? batchNorm(a as tf.Tensor4D, vec(gm), vec(bt))
                    : instanceNorm(a as tf.Tensor4D, 1e-5, vec(gm), vec(bt)),
                  alpha,
                );
              const [got, want] = [
                await valueAndGrads(backend, fused, inputs, dyOf),
                await valueAndGrads(backend, apart, inputs, dyOf),
              ];
              expect(got, `${backend} ${kind} alpha ${alpha}`).toEqual(want);
            }
          }
        }
      });

      it('names a gamma of the wrong size', () => {
        expect(() =>
          batchNorm(tf.zeros([1, 2, 2, 3]) as tf.Tensor4D, tf.ones([4]) as tf.Tensor1D, tf.zeros([3]) as tf.Tensor1D),
        ).toThrow(/gamma must have shape \[3\]/);
      });
    });
  });
}
