// pipe's fused webgpu kernels (norm + activation, the MSE and BCE-with-logits loss reductions) against the cpu
// backend and finite differences, on Mesa llvmpipe here and in CI (tiny shapes: llvmpipe is slow).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { ganLoss } from '../losses/gan.js';
import { mseLoss } from '../losses/mse.js';
import { normalizeAct, type NormActOptions } from '../ops/normalize.js';
import { randomArr, type Arr } from '../ops/testing.js';
import {
  compare,
  data,
  expectAgree,
  expectSkipAllowed,
  relMaxError,
  tensor,
  webgpuSkipReason,
} from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `pipe fused webgpu kernels (skipped: ${skipped})` : 'pipe fused webgpu kernels';

/** Smallest |pre-activation| on cpu (LeakyReLU with slope 1 is the identity). */
async function minAbsPreActivation(x: Arr, o: NormActOptions, affine: Arr[]): Promise<number> {
  await initBackend('cpu');
  const [g, b] = affine.map(tensor) as tf.Tensor1D[];
  const xt = tensor(x) as tf.Tensor4D;
  const z = normalizeAct(xt, { ...o, alpha: 1, gamma: g, beta: b });
  const v = await data(z);
  tf.dispose([xt, z, ...(g && b ? [g, b] : [])]);
  return Math.min(...Array.from(v, Math.abs));
}

/**
 * Inputs whose pre-activations are all at least 1e-2 from the kink, where finite differences (step 1e-3) measure the
 * gradient: the first of a fixed sequence of seeds that gives them (undefined when none does).
 */
async function awayFromKink(shape: number[], o: NormActOptions, affine: Arr[], seed: number) {
  for (let k = 0; k < 40; k++) {
    const x = randomArr(shape, seed + 1000 * k);
    if ((await minAbsPreActivation(x, o, affine)) > 1e-2) return x;
  }
  return undefined;
}

describe.skipIf(skipped !== null)(title, () => {
  const normCases: [string, NormActOptions['kind'], number[], boolean, number][] = [
    // name, kind, x shape, affine, seed
    ['batch norm (affine)', 'batch', [2, 5, 3, 3], true, 71],
    ['instance norm (plain)', 'instance', [2, 7, 5, 4], false, 74],
    ['instance norm (affine)', 'instance', [2, 3, 3, 2], true, 75],
  ];
  for (const [name, kind, shape, affine, seed] of normCases) {
    for (const alpha of [0, 0.2]) {
      it(`${name} + ${alpha ? `LeakyReLU ${alpha}` : 'ReLU'}, batch 2, odd sizes: matches cpu and finite differences, 2 dispatches each way`, async () => {
        const c = shape[3]!;
        const params = affine ? [randomArr([c], seed + 1), randomArr([c], seed + 2)] : [];
        const f = (x: tf.Tensor, g?: tf.Tensor, b?: tf.Tensor) =>
          normalizeAct(x as tf.Tensor4D, { kind, alpha, gamma: g as tf.Tensor1D, beta: b as tf.Tensor1D });
        const x = await awayFromKink(shape, { kind, alpha }, params, seed);
        expect(x, 'an input away from the kink').toBeDefined();
        const r = await compare(f, [x!, ...params], 1e-3);
        expectAgree(r, 1e-4, 2e-3);
        // Forward run twice (for the value and under the gradient); no activation kernel of its own either way.
        const own = Object.fromEntries(Object.entries(r.dispatches.byProgram).filter(([k]) => k.startsWith('Pipe')));
        expect(own).toEqual({
          PipeNormStats: 2,
          PipeNormApplyAct: 2,
          PipeNormActGradSums: 1,
          PipeNormActInputGrad: 1,
        });
        expect(Object.keys(r.dispatches.byProgram)).not.toContain('UnaryOpProgram');
      });
    }
  }

  it('MSE loss (batch 2, odd sizes): value and both gradients match cpu and finite differences, 1 dispatch each way', async () => {
    const r = await compare(
      (a: tf.Tensor, b: tf.Tensor) => mseLoss(a, b),
      [randomArr([2, 7, 5, 3], 94), randomArr([2, 7, 5, 3], 95)],
    );
    expectAgree(r, 1e-5, 1e-3);
    expect(r.dispatches.byProgram).toMatchObject({ PipeMse: 2, PipeMseGrad: 1 });
  });

  for (const mode of ['lsgan', 'vanilla'] as const) {
    for (const real of [false, true]) {
      it(`GAN loss ${mode} against ${real ? 'real (1)' : 'fake (0)'}, a [2, 5, 3, 1] patch map: matches cpu and finite differences`, async () => {
        const r = await compare((p: tf.Tensor) => ganLoss(mode, p, real), [randomArr([2, 5, 3, 1], real ? 96 : 97)]);
        expectAgree(r, 1e-5, 1e-3);
        const kernel = mode === 'lsgan' ? 'PipeMse' : 'PipeBce';
        expect(r.dispatches.byProgram).toMatchObject({ [kernel]: 2, [`${kernel}Grad`]: 1 });
      });
    }
  }

  it('BCE-with-logits GAN loss stays finite and exact for large logits', async () => {
    const logits = { data: Float32Array.from([-80, -30, -5, 0, 5, 30, 80]), shape: [1, 7, 1, 1] };
    for (const real of [false, true]) {
      const r = await compare((p: tf.Tensor) => ganLoss('vanilla', p, real), [logits]);
      expect(relMaxError(r.cpu.value, r.gpu.value), `value, real ${real}`).toBeLessThan(1e-6);
      expect(relMaxError(r.cpu.grads[0]!, r.gpu.grads[0]!), `gradient, real ${real}`).toBeLessThan(1e-6);
    }
  });
});

it.runIf(skipped !== null)('reports why the fused webgpu kernels were skipped (and fails in CI)', () => {
  expectSkipAllowed(skipped);
});
