// pipe's own webgpu kernels against the cpu backend (Mesa llvmpipe here and in CI; tiny shapes: llvmpipe is slow).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { adamUpdate } from '../ops/adam_update.js';
import { randomArr } from '../ops/testing.js';
import { countDispatches } from './dispatches.js';
import { data, expectSkipAllowed, onBoth, relMaxError, webgpuSkipReason } from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `pipe webgpu kernels (skipped: ${skipped})` : 'pipe webgpu kernels';

describe.skipIf(skipped !== null)(title, () => {
  it('fused Adam: three steps match the cpu update, one dispatch per parameter, shared storage untouched', async () => {
    const shape = [3, 5, 7];
    const run = async () => {
      const init = tf.tensor(randomArr(shape, 51).data, shape);
      const p = tf.variable(init); // shares init's storage: the update must not write through it
      const m = tf.variable(tf.zeros(shape));
      const v = tf.variable(tf.zeros(shape));
      let dispatches = 0;
      for (let step = 1; step <= 3; step++) {
        const g = tf.tensor(randomArr(shape, 60 + step).data, shape);
        const hyper = { lr: 0.0002, beta1: 0.5, beta2: 0.999, eps: 1e-8, step };
        dispatches += (await countDispatches(() => adamUpdate(p, m, v, g, hyper))).dispatches.total;
        g.dispose();
      }
      const out = await Promise.all([p, m, v, init].map(data));
      tf.dispose([p, m, v, init]);
      return { out, dispatches };
    };
    const r = await onBoth(run);
    for (let i = 0; i < 3; i++) expect(relMaxError(r.cpu.out[i]!, r.webgpu.out[i]!), `tensor ${i}`).toBeLessThan(1e-5);
    expect(Array.from(r.webgpu.out[3]!)).toEqual(Array.from(randomArr(shape, 51).data));
    expect(r.webgpu.dispatches).toBe(3);
  });

  it('fused Adam: a NaN gradient propagates into the parameter', async () => {
    await initBackend('webgpu');
    try {
      const p = tf.variable(tf.tensor1d([1, 2]));
      const m = tf.variable(tf.zeros([2]));
      const v = tf.variable(tf.zeros([2]));
      adamUpdate(p, m, v, tf.tensor1d([NaN, 1]), { lr: 0.1, beta1: 0.5, beta2: 0.999, eps: 1e-8, step: 1 });
      const out = await data(p);
      expect(Number.isNaN(out[0])).toBe(true);
      expect(out[1]).toBeCloseTo(1.9, 4);
      tf.dispose([p, m, v]);
    } finally {
      await initBackend('cpu');
    }
  });
});

it.runIf(skipped !== null)('reports why the webgpu kernels were skipped (and fails in CI)', () => {
  expectSkipAllowed(skipped);
});
