// pipe's max-pool kernels against ops/max_pool.ts on the cpu backend (itself checked against stock tfjs-cpu and
// finite differences in ops/max_pool.test.ts): the geometries VGG, SqueezeNet (ceil mode) and ResNet-style padding
// use, ties at 0 after a ReLU (first maximum only) and NaN windows; finite differences on webgpu.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { maxPool } from '../ops/max_pool.js';
import { distinctArr, randomArr, type Arr } from '../ops/testing.js';
import type { Padding } from '../ops/geometry.js';
import { compare, expectSkipAllowed, relMaxError, webgpuSkipReason } from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `pipe max-pool kernels (skipped: ${skipped})` : 'pipe max-pool kernels';

interface Case {
  name: string;
  x: number[];
  k: number;
  s: number;
  pad: Padding;
  ceil?: boolean;
}

const CASES: Case[] = [
  { name: 'k2 s2 valid (VGG)', x: [1, 8, 6, 3], k: 2, s: 2, pad: 'valid' },
  { name: 'k2 s2 valid odd size, batch 2', x: [2, 7, 9, 2], k: 2, s: 2, pad: 'valid' },
  { name: 'k2 s2 same odd size', x: [1, 7, 5, 2], k: 2, s: 2, pad: 'same' },
  { name: 'k3 s2 ceil mode (SqueezeNet), even size', x: [1, 8, 10, 2], k: 3, s: 2, pad: 0, ceil: true },
  { name: 'k3 s2 ceil mode, odd size', x: [1, 9, 7, 2], k: 3, s: 2, pad: 0, ceil: true },
  { name: 'k3 s2 pad 1 (ResNet-style)', x: [1, 8, 7, 2], k: 3, s: 2, pad: 1 },
  { name: 'k3 s1 same (overlapping windows)', x: [1, 5, 6, 3], k: 3, s: 1, pad: 'same' },
];

const pool = (c: Case) => (x: tf.Tensor) => maxPool(x as tf.Tensor4D, c.k, c.s, c.pad, c.ceil ?? false);

describe.skipIf(skipped !== null)(title, () => {
  for (const c of CASES) {
    it(`${c.name}: value and gradient as on cpu, one dispatch each way`, async () => {
      const r = await compare(pool(c), [distinctArr(c.x, 21)], 1e-3);
      expect(relMaxError(r.cpu.value, r.gpu.value), 'value').toBe(0);
      // Overlapping windows add several dy into one element, in another order than the op-level gradient.
      expect(relMaxError(r.cpu.grads[0]!, r.gpu.grads[0]!), 'gradient').toBeLessThan(c.k > c.s ? 1e-6 : 1e-30);
      expect(r.fd[0], 'finite differences').toBeLessThan(1e-3);
      expect(r.dispatches.byProgram.PipeMaxPool).toBe(2); // compare() runs the forward twice
      expect(r.dispatches.byProgram.PipeMaxPoolGrad).toBe(1);
    });
  }

  it('sends the gradient of a tied window (zeros after a ReLU) to its first element only', async () => {
    const x: Arr = randomArr([1, 8, 10, 2], 22);
    for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i]! > 0.5 ? x.data[i]! : 0;
    const r = await compare(pool(CASES[3]!), [x], 1e-3);
    expect(relMaxError(r.cpu.grads[0]!, r.gpu.grads[0]!)).toBeLessThan(1e-6);
    expect(r.gpu.grads[0]!.filter((g) => g !== 0).length).toBeLessThan(x.data.length / 2);
  });

  it('pools a window holding a NaN to NaN and sends its gradient to the NaN', async () => {
    const x = randomArr([1, 4, 4, 1], 23);
    x.data[5] = NaN; // row 1, col 1: inside the first 2x2 window only
    const r = await compare((t) => maxPool(t as tf.Tensor4D, 2, 2, 'valid'), [x], 1e-3);
    expect(Number.isNaN(r.gpu.value[0])).toBe(true);
    expect(Array.from(r.gpu.value.slice(1))).toEqual(Array.from(r.cpu.value.slice(1)));
    expect(Array.from(r.gpu.grads[0]!)).toEqual(Array.from(r.cpu.grads[0]!));
    expect(r.gpu.grads[0]![5]).not.toBe(0);
  });
});

describe.skipIf(skipped === null)(title, () => {
  it('is skipped only where webgpu cannot run (never in CI)', () => expectSkipAllowed(skipped));
});
