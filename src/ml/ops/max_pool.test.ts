import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { maxPool } from './max_pool.js';
import {
  distinctArr,
  finiteDifferenceError,
  randomArr,
  relError,
  valueAndGrads,
  type Arr,
  WASM_THREADS,
} from './testing.js';

const BACKENDS = ['cpu', 'wasm'];

interface Case {
  name: string;
  x: number[];
  k: number;
  s: number;
  pad: 'same' | 'valid' | number;
  ceil?: boolean;
  /** Extra -inf rows/cols at the bottom/right that reproduce ceil mode with stock valid pooling. */
  ceilExtra?: [number, number];
}

const CASES: Case[] = [
  { name: 'k2 s2 valid (VGG)', x: [1, 8, 6, 3], k: 2, s: 2, pad: 'valid' },
  { name: 'k2 s2 valid odd size, batch 2', x: [2, 7, 9, 2], k: 2, s: 2, pad: 'valid' },
  { name: 'k2 s2 same odd size', x: [1, 7, 5, 2], k: 2, s: 2, pad: 'same' },
  {
    name: 'k3 s2 ceil_mode (SqueezeNet), even size',
    x: [1, 8, 10, 2],
    k: 3,
    s: 2,
    pad: 0,
    ceil: true,
    ceilExtra: [1, 1],
  },
  { name: 'k3 s2 ceil_mode odd size', x: [1, 9, 7, 2], k: 3, s: 2, pad: 0, ceil: true, ceilExtra: [0, 0] },
  { name: 'k2 s2 ceil_mode odd size', x: [1, 7, 5, 2], k: 2, s: 2, pad: 0, ceil: true, ceilExtra: [1, 1] },
  { name: 'k3 s2 pad 1 (ResNet-style)', x: [1, 8, 7, 2], k: 3, s: 2, pad: 1 },
];

const dyOf = (shape: number[]): Arr => randomArr(shape, 4244);

/** Stock tfjs pooling; numeric/ceil padding emulated with an explicit very negative pad (its gradient is a slice). */
function stock(c: Case) {
  return (x: tf.Tensor) => {
    const p = typeof c.pad === 'number' ? c.pad : 0;
    const [eh, ew] = c.ceilExtra ?? [0, 0];
    const padded =
      typeof c.pad === 'number'
        ? tf.pad(
            x,
            [
              [0, 0],
              [p, p + eh],
              [p, p + ew],
              [0, 0],
            ],
            -1e30,
          )
        : x;
    return tf.maxPool(padded as tf.Tensor4D, c.k, c.s, typeof c.pad === 'number' ? 'valid' : c.pad);
  };
}

// Every case on the stock wasm build and on the threaded build (pipe's loader, 2 XNNPACK threads).
for (const threads of WASM_THREADS) {
  describe(`wasm on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await initBackend('cpu');
      // A silent fallback to the stock build would make this group a repeat of the first.
      expect((await initBackend('wasm', { threads })).threads).toBe(threads);
    });

    describe('maxPool', () => {
      for (const c of CASES) {
        it(`${c.name}: value and gradient match stock cpu and finite differences`, async () => {
          const inputs = [distinctArr(c.x, 21)];
          const ours = (x: tf.Tensor) => maxPool(x as tf.Tensor4D, c.k, c.s, c.pad, c.ceil ?? false);
          const ref = await valueAndGrads('cpu', stock(c), inputs, dyOf);
          for (const backend of BACKENDS) {
            const got = await valueAndGrads(backend, ours, inputs, dyOf);
            expect(relError(got.value, ref.value), `${backend} value`).toBe(0);
            expect(relError(got.grads[0], ref.grads[0]), `${backend} dx`).toBeLessThan(1e-6);
            expect(
              await finiteDifferenceError(backend, ours, inputs, 0, got.grads, dyOf, 1e-3),
              `${backend} fd`,
            ).toBeLessThan(1e-3);
          }
        });
      }

      it('sends the gradient of a tied window to its first element only (windows of zeros after a ReLU)', async () => {
        const c = CASES[3];
        const x = randomArr(c.x, 22);
        for (let i = 0; i < x.data.length; i++) x.data[i] = Math.max(0, x.data[i]) > 0.5 ? x.data[i] : 0;
        const ours = (t: tf.Tensor) => maxPool(t as tf.Tensor4D, c.k, c.s, c.pad, true);
        const ref = await valueAndGrads('cpu', stock(c), [x], dyOf);
        for (const backend of BACKENDS) {
          const got = await valueAndGrads(backend, ours, [x], dyOf);
          expect(relError(got.grads[0], ref.grads[0]), backend).toBeLessThan(1e-6);
        }
      });

      it('propagates NaNs: a window holding a NaN pools to NaN (PyTorch semantics)', async () => {
        const x = randomArr([1, 4, 4, 1], 23);
        x.data[5] = NaN; // row 1, col 1: inside the first 2x2 window only
        for (const backend of BACKENDS) {
          const got = await valueAndGrads(backend, (t) => maxPool(t as tf.Tensor4D, 2, 2, 'valid'), [x], dyOf);
          expect(Number.isNaN(got.value[0]), backend).toBe(true);
          expect(got.value.slice(1).some(Number.isNaN), backend).toBe(false);
          // The NaN element takes its window's gradient; nothing else in that window does.
          expect(got.grads[0][5]).not.toBe(0);
          expect([0, 1, 4].map((i) => got.grads[0][i])).toEqual([0, 0, 0]);
        }
      });
    });
  });
}
