import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { initBackend } from '../backend.js';
import { conv2dTranspose } from './conv2d_transpose.js';
import type { Padding } from './geometry.js';
import { setConvStrategy } from './gemm_kernels.js';
import { finiteDifferenceError, randomArr, relError, valueAndGrads, type Arr, WASM_THREADS } from './testing.js';

const BACKENDS = ['cpu', 'wasm'];
const TOL = 2e-5;

interface Case {
  name: string;
  x: number[];
  /** [kh, kw, outC, inC] */
  f: number[];
  out: [number, number, number, number];
  stride: number;
  pad: Padding;
}

const CASES: Case[] = [
  { name: 'k4 s2 p1 (pix2pix decoder)', x: [1, 4, 5, 3], f: [4, 4, 2, 3], out: [1, 8, 10, 2], stride: 2, pad: 1 },
  { name: 'k4 s2 p1 batch 2', x: [2, 3, 3, 2], f: [4, 4, 3, 2], out: [2, 6, 6, 3], stride: 2, pad: 1 },
  {
    name: 'k3 s2 p1 output_padding 1 (resnet decoder)',
    x: [1, 4, 3, 3],
    f: [3, 3, 2, 3],
    out: [1, 8, 6, 2],
    stride: 2,
    pad: 1,
  },
  { name: 'k3 s2 p1 odd output', x: [1, 4, 3, 2], f: [3, 3, 3, 2], out: [1, 7, 5, 3], stride: 2, pad: 1 },
  { name: 'k3 s1 same', x: [1, 5, 6, 2], f: [3, 3, 3, 2], out: [1, 5, 6, 3], stride: 1, pad: 'same' },
  { name: 'k2 s2 valid', x: [1, 3, 4, 2], f: [2, 2, 2, 2], out: [1, 6, 8, 2], stride: 2, pad: 'valid' },
];

const dyOf = (shape: number[]): Arr => randomArr(shape, 4243);

// Every case on the stock wasm build and on the threaded build (pipe's loader, 2 XNNPACK threads).
for (const threads of WASM_THREADS) {
  describe(`wasm on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await initBackend('cpu');
      // A silent fallback to the stock build would make this group a repeat of the first.
      expect((await initBackend('wasm', { threads })).threads).toBe(threads);
    });

    describe('conv2dTranspose', () => {
      // Both kernel families: forward-conv form and matrix-product form (the latter only where the batch is 1).
      for (const c of CASES)
        for (const strategy of ['conv', 'gemm'] as const) {
          it(`${c.name} [${strategy}]: value and gradients match stock cpu and finite differences`, async () => {
            setConvStrategy(strategy);
            onTestFinished(() => setConvStrategy('auto'));
            const inputs = [randomArr(c.x, 11), randomArr(c.f, 12)];
            const stock = (x: tf.Tensor, f: tf.Tensor) =>
              tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, c.out, c.stride, c.pad as 'same');
            const ours = (x: tf.Tensor, f: tf.Tensor) =>
              conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, c.out, c.stride, c.pad);
            const ref = await valueAndGrads('cpu', stock, inputs, dyOf);
            for (const backend of BACKENDS) {
              const got = await valueAndGrads(backend, ours, inputs, dyOf);
              expect(relError(got.value, ref.value), `${backend} value`).toBeLessThan(TOL);
              expect(relError(got.grads[0], ref.grads[0]), `${backend} dx`).toBeLessThan(TOL);
              expect(relError(got.grads[1], ref.grads[1]), `${backend} dW`).toBeLessThan(TOL);
              for (const which of [0, 1]) {
                expect(
                  await finiteDifferenceError(backend, ours, inputs, which, got.grads, dyOf),
                  `${backend} fd ${which}`,
                ).toBeLessThan(1e-3);
              }
            }
          });
        }

      it('propagates NaNs from the input like stock cpu', async () => {
        const c = CASES[0];
        const x = randomArr(c.x, 13);
        // Interior element: a NaN next to the padding also reaches filter taps that stock skips (0 * NaN); see docs/design.md.
        x.data[22] = NaN;
        const inputs = [x, randomArr(c.f, 14)];
        const stock = (a: tf.Tensor, f: tf.Tensor) =>
          tf.conv2dTranspose(a as tf.Tensor4D, f as tf.Tensor4D, c.out, c.stride, 1);
        const ours = (a: tf.Tensor, f: tf.Tensor) =>
          conv2dTranspose(a as tf.Tensor4D, f as tf.Tensor4D, c.out, c.stride, c.pad);
        const ref = await valueAndGrads('cpu', stock, inputs, dyOf);
        expect(ref.value.some(Number.isNaN)).toBe(true);
        for (const backend of BACKENDS) {
          const got = await valueAndGrads(backend, ours, inputs, dyOf);
          expect(relError(got.value, ref.value), `${backend} value`).toBeLessThan(TOL);
          expect(relError(got.grads[1], ref.grads[1]), `${backend} dW`).toBeLessThan(TOL);
        }
      });

      it('names the expected input shape when outShape does not fit', () => {
        expect(() =>
          conv2dTranspose(
            tf.zeros([1, 4, 4, 3]) as tf.Tensor4D,
            tf.zeros([4, 4, 2, 3]) as tf.Tensor4D,
            [1, 10, 8, 2],
            2,
            1,
          ),
        ).toThrow(/expected input \[1, 5, 4, 2\]|expected input/);
      });
    });
  });
}
