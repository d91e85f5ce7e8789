import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { initBackend } from '../backend.js';
import { conv2d } from './conv2d.js';
import { frozenConv2d } from './frozen_conv2d.js';
import type { Padding } from './geometry.js';
import { setConvStrategy } from './gemm_kernels.js';
import { finiteDifferenceError, randomArr, relError, valueAndGrads, type Arr, WASM_THREADS } from './testing.js';

const BACKENDS = ['cpu', 'wasm'];
const TOL = 2e-5;

interface Case {
  name: string;
  x: number[];
  f: number[];
  stride: number;
  pad: Padding;
  dilation?: number;
}

const CASES: Case[] = [
  { name: 'k3 s1 same', x: [1, 7, 6, 3], f: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { name: 'k4 s2 p1 (pix2pix encoder)', x: [1, 8, 8, 3], f: [4, 4, 3, 5], stride: 2, pad: 1 },
  { name: 'k4 s2 p1 odd size, batch 2', x: [2, 9, 7, 2], f: [4, 4, 2, 3], stride: 2, pad: 1 },
  { name: 'k3 s2 same odd size', x: [1, 7, 9, 2], f: [3, 3, 2, 3], stride: 2, pad: 'same' },
  { name: 'k3 s2 valid leftover rows', x: [1, 8, 10, 2], f: [3, 3, 2, 2], stride: 2, pad: 'valid' },
  { name: 'k1 s2 (phase without taps)', x: [1, 6, 5, 3], f: [1, 1, 3, 4], stride: 2, pad: 'valid' },
  { name: 'k7 s1 valid (resnet stem)', x: [1, 9, 10, 3], f: [7, 7, 3, 2], stride: 1, pad: 'valid' },
  { name: 'k3 dilation 2', x: [1, 9, 8, 2], f: [3, 3, 2, 3], stride: 1, pad: 2, dilation: 2 },
  {
    name: 'k4 s1 explicit asymmetric pad',
    x: [1, 6, 7, 2],
    f: [4, 4, 2, 3],
    stride: 1,
    pad: [
      [0, 0],
      [1, 2],
      [2, 1],
      [0, 0],
    ],
  },
  {
    name: 'k3 s2 explicit large pad',
    x: [1, 5, 6, 2],
    f: [3, 3, 2, 2],
    stride: 2,
    pad: [
      [0, 0],
      [3, 0],
      [0, 3],
      [0, 0],
    ],
  },
];

const dyOf = (shape: number[]): Arr => randomArr(shape, 4242);

/** Stock tfjs has no gradient for dilated convs: dilate the filter with zeros (differentiably) instead. */
function dilateFilter(f: tf.Tensor4D, d: number): tf.Tensor4D {
  const [kh, kw, c, o] = f.shape;
  const spaced = tf.pad(tf.reshape(f, [kh, 1, kw, 1, c, o]), [
    [0, 0],
    [0, d - 1],
    [0, 0],
    [0, d - 1],
    [0, 0],
    [0, 0],
  ]);
  return tf.slice(
    tf.reshape(spaced, [kh * d, kw * d, c, o]) as tf.Tensor4D,
    [0, 0, 0, 0],
    [(kh - 1) * d + 1, (kw - 1) * d + 1, c, o],
  );
}

function stock(c: Case) {
  const d = c.dilation ?? 1;
  return (x: tf.Tensor, f: tf.Tensor) =>
    tf.conv2d(
      x as tf.Tensor4D,
      d > 1 ? dilateFilter(f as tf.Tensor4D, d) : (f as tf.Tensor4D),
      c.stride,
      c.pad as 'same',
    );
}
function ours(c: Case) {
  return (x: tf.Tensor, f: tf.Tensor) => conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.stride, c.pad, c.dilation ?? 1);
}

// Every case on the stock wasm build and on the threaded build (pipe's loader, 2 XNNPACK threads).
for (const threads of WASM_THREADS) {
  describe(`wasm on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await initBackend('cpu');
      // A silent fallback to the stock build would make this group a repeat of the first.
      expect((await initBackend('wasm', { threads })).threads).toBe(threads);
    });

    describe('conv2d', () => {
      // Both kernel families: forward-conv form and matrix-product form (the latter only where the batch is 1).
      for (const c of CASES)
        for (const strategy of ['conv', 'gemm'] as const) {
          it(`${c.name} [${strategy}]: value and gradients match stock cpu and finite differences`, async () => {
            setConvStrategy(strategy);
            onTestFinished(() => setConvStrategy('auto'));
            const inputs = [randomArr(c.x, 1), randomArr(c.f, 2)];
            const ref = await valueAndGrads('cpu', stock(c), inputs, dyOf);
            for (const backend of BACKENDS) {
              const got = await valueAndGrads(backend, ours(c), inputs, dyOf);
              expect(relError(got.value, ref.value), `${backend} value`).toBeLessThan(TOL);
              expect(relError(got.grads[0], ref.grads[0]), `${backend} dx`).toBeLessThan(TOL);
              expect(relError(got.grads[1], ref.grads[1]), `${backend} dW`).toBeLessThan(TOL);
              for (const which of [0, 1]) {
                expect(
                  await finiteDifferenceError(backend, ours(c), inputs, which, got.grads, dyOf),
                  `${backend} fd ${which}`,
                ).toBeLessThan(1e-3);
              }
            }
          });
        }

      it('propagates NaNs from the input to the output and the filter gradient like stock cpu', async () => {
        for (const c of [CASES[0], CASES[1]]) {
          const x = randomArr(c.x, 3);
          x.data[10] = NaN;
          const inputs = [x, randomArr(c.f, 4)];
          const ref = await valueAndGrads('cpu', stock(c), inputs, dyOf);
          expect(ref.value.some(Number.isNaN)).toBe(true);
          for (const backend of BACKENDS) {
            const got = await valueAndGrads(backend, ours(c), inputs, dyOf);
            expect(relError(got.value, ref.value), `${backend} value`).toBeLessThan(TOL);
            expect(relError(got.grads[1], ref.grads[1]), `${backend} dW`).toBeLessThan(TOL);
          }
        }
      });

      it('rejects a filter whose input channels differ from the input', () => {
        expect(() => conv2d(tf.zeros([1, 4, 4, 3]), tf.zeros([3, 3, 2, 1]), 1, 'same')).toThrow(
          /3 channels but the filter expects 2/,
        );
      });

      it('computes only the gradients asked for (no filter gradient for a constant filter)', async () => {
        await tf.setBackend('wasm');
        setConvStrategy('conv');
        onTestFinished(() => setConvStrategy('auto'));
        const x = tf.tensor(randomArr([1, 8, 8, 2], 8).data, [1, 8, 8, 2]) as tf.Tensor4D;
        const f = tf.tensor(randomArr([3, 3, 2, 3], 9).data, [3, 3, 2, 3]) as tf.Tensor4D;
        const convs = async (fn: () => tf.Tensor) =>
          (await tf.profile(fn)).kernels.filter((k) => k.name === 'Conv2D').length;
        // forward + input gradient; the filter gradient would be a third conv
        expect(await convs(() => tf.grad((a: tf.Tensor) => tf.sum(conv2d(a as tf.Tensor4D, f, 1, 'same')))(x))).toBe(2);
        expect(
          await convs(
            () =>
              tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')))([
                x,
                f,
              ])[1],
          ),
        ).toBe(3);
      });

      it('keeps the tensor count flat across repeated gradient steps', async () => {
        await tf.setBackend('wasm');
        const x = tf.tensor(randomArr([1, 8, 8, 2], 5).data, [1, 8, 8, 2]) as tf.Tensor4D;
        const f = tf.variable(tf.tensor(randomArr([4, 4, 2, 3], 6).data, [4, 4, 2, 3]));
        const step = () =>
          tf.tidy(() => tf.variableGrads(() => tf.sum(conv2d(x, f as unknown as tf.Tensor4D, 2, 1))).grads.v);
        step();
        const before = tf.memory().numTensors;
        for (let i = 0; i < 3; i++) step();
        expect(tf.memory().numTensors).toBe(before);
      });
    });

    describe('frozenConv2d', () => {
      for (const c of [CASES[0], CASES[1], CASES[3]]) {
        it(`${c.name}: value and input gradient equal conv2d's, no filter gradient`, async () => {
          const inputs = [randomArr(c.x, 7)];
          const filter = randomArr(c.f, 8);
          for (const backend of BACKENDS) {
            await tf.setBackend(backend);
            const fT = tf.tensor4d(filter.data, filter.shape as [number, number, number, number]);
            const ref = await valueAndGrads(
              backend,
              (x) => conv2d(x as tf.Tensor4D, fT, c.stride, c.pad),
              inputs,
              dyOf,
            );
            const got = await valueAndGrads(
              backend,
              (x) => frozenConv2d(x as tf.Tensor4D, fT, c.stride, c.pad),
              inputs,
              dyOf,
            );
            // Twice: the second call reuses the prepared filter.
            const again = await valueAndGrads(
              backend,
              (x) => frozenConv2d(x as tf.Tensor4D, fT, c.stride, c.pad),
              inputs,
              dyOf,
            );
            expect(relError(got.value, ref.value)).toBeLessThan(1e-6);
            expect(relError(got.grads[0], ref.grads[0])).toBeLessThan(1e-6);
            expect(relError(again.grads[0], ref.grads[0])).toBeLessThan(1e-6);
            fT.dispose();
          }
        });
      }
    });
  });
}
