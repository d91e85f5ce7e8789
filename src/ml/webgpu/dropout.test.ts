// pipe's dropout kernel against tf.dropout on the cpu backend: the same uniform noise (tf.randomUniform with the
// seed), so with pix2pix's rate 0.5 the same bits, value and gradient; finite differences on webgpu.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dropout } from '../ops/dropout.js';
import { randomArr } from '../ops/testing.js';
import { compare, expectAgree, expectSkipAllowed, relMaxError, webgpuSkipReason } from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `pipe dropout kernel (skipped: ${skipped})` : 'pipe dropout kernel';

describe.skipIf(skipped !== null)(title, () => {
  it('rate 0.5 (pix2pix): the same bits as tf.dropout on cpu, in one dispatch each way', async () => {
    const x = randomArr([1, 4, 4, 24], 3);
    const r = await compare((t) => dropout(t, 0.5, 77), [x]);
    expect(relMaxError(r.cpu.value, r.gpu.value)).toBe(0);
    expect(relMaxError(r.cpu.grads[0]!, r.gpu.grads[0]!)).toBe(0);
    expect(r.cpu.value.filter((v) => v === 0).length, 'about half dropped').toBeGreaterThan(150);
    // compare() runs the op twice forward (its value, and inside the gradient) and once backward.
    expect(r.dispatches.byProgram.PipeDropout).toBe(3);
    expect(r.dispatches.byProgram.UnaryOpProgram, "tf.dropout's floor").toBeUndefined();
    expect(r.fd[0]).toBeLessThan(1e-4);
  });

  it('another rate and an odd size: within float32 rounding of cpu (WGSL division may differ by an ulp)', async () => {
    const r = await compare((t) => dropout(t, 0.3, 5), [randomArr([2, 3, 5, 7], 8)]);
    expectAgree(r, 1e-6, 1e-4);
    expect(tf.getBackend()).toBe('cpu');
  });
});

describe.skipIf(skipped === null)(title, () => {
  it('is skipped only where webgpu cannot run (never in CI)', () => expectSkipAllowed(skipped));
});
