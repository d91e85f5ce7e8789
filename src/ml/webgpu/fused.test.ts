// pipe's fused webgpu kernels (norm + activation, the MSE and BCE-with-logits loss reductions) against the cpu
// backend and finite differences, on Mesa llvmpipe here and in CI (tiny shapes: llvmpipe is slow).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { ganLoss } from '../losses/gan.js';
import { mseLoss } from '../losses/mse.js';
import { concatRelu } from '../ops/activation.js';
import { biasAct, frozenBiasRelu, type BiasActKind } from '../ops/bias_add.js';
import { normalizeAct, type NormActOptions } from '../ops/normalize.js';
import { randomArr, type Arr } from '../ops/testing.js';
import {
  compare,
  data,
  expectAgree,
  expectSkipAllowed,
  onBoth,
  relMaxError,
  tensor,
  webgpuSkipReason,
} from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `pipe fused webgpu kernels (skipped: ${skipped})` : 'pipe fused webgpu kernels';

type Case = { kind: NormActOptions['kind']; shape: number[]; affine: boolean; bias: boolean; seed: number };

/** x, then gamma and beta (affine), then the bias: the inputs of one case. */
const paramsOf = (c: Case): Arr[] => {
  const ch = c.shape[3]!;
  const affine = c.affine ? [randomArr([ch], c.seed + 1), randomArr([ch], c.seed + 2)] : [];
  return [...affine, ...(c.bias ? [randomArr([ch], c.seed + 3)] : [])];
};

const opOf =
  (c: Case, alpha: number | undefined) =>
  (x: tf.Tensor, ...ps: tf.Tensor[]) => {
    const [gamma, beta] = (c.affine ? ps.slice(0, 2) : []) as tf.Tensor1D[];
    const bias = (c.bias ? ps[ps.length - 1] : undefined) as tf.Tensor1D | undefined;
    return normalizeAct(x as tf.Tensor4D, { kind: c.kind, alpha, gamma, beta, bias });
  };

/** Smallest |pre-activation| on cpu (LeakyReLU with slope 1 is the identity). */
async function minAbsPreActivation(c: Case, x: Arr): Promise<number> {
  await initBackend('cpu');
  const ts = [x, ...paramsOf(c)].map(tensor);
  const z = opOf(c, 1)(ts[0]!, ...ts.slice(1));
  const v = await data(z);
  tf.dispose([...ts, z]);
  return Math.min(...Array.from(v, Math.abs));
}

/**
 * Inputs whose pre-activations are all at least 1e-2 from the kink, where finite differences (step 1e-3) measure the
 * gradient: the first of a fixed sequence of seeds that gives them (undefined when none does).
 */
async function awayFromKink(c: Case) {
  for (let k = 0; k < 40; k++) {
    const x = randomArr(c.shape, c.seed + 1000 * k);
    if ((await minAbsPreActivation(c, x)) > 1e-2) return x;
  }
  return undefined;
}

/** The Pipe* dispatches one value-and-gradient run of a case makes (the forward runs twice). */
function ownDispatches(c: Case, alpha: number | undefined) {
  const act = alpha === undefined ? '' : 'Act';
  return {
    PipeNormStats: 2,
    [`PipeNormApply${act}`]: 2,
    [`PipeNorm${act}GradSums`]: 1,
    [`PipeNorm${act}InputGrad`]: 1,
    ...(c.bias ? { PipeChannelSum: 1 } : {}),
  };
}

describe.skipIf(skipped !== null)(title, () => {
  const cases: [string, Case][] = [
    ['batch norm (affine)', { kind: 'batch', shape: [2, 5, 3, 3], affine: true, bias: false, seed: 71 }],
    ['instance norm (plain)', { kind: 'instance', shape: [2, 7, 5, 4], affine: false, bias: false, seed: 74 }],
    ['instance norm (affine)', { kind: 'instance', shape: [2, 3, 3, 2], affine: true, bias: false, seed: 75 }],
  ];
  for (const [name, c] of cases) {
    for (const alpha of [0, 0.2]) {
      const act = alpha === undefined ? '' : alpha ? ` + LeakyReLU ${alpha}` : ' + ReLU';
      it(`${name}${act}, batch 2, odd sizes: matches cpu and finite differences, 2 dispatches each way`, async () => {
        const x = await awayFromKink(c);
        expect(x, 'an input away from the kink').toBeDefined();
        const r = await compare(opOf(c, alpha), [x!, ...paramsOf(c)], 1e-3);
        expectAgree(r, 1e-4, 2e-3);
        const own = Object.fromEntries(Object.entries(r.dispatches.byProgram).filter(([k]) => k.startsWith('Pipe')));
        expect(own).toEqual(ownDispatches(c, alpha));
        expect(Object.keys(r.dispatches.byProgram), 'no activation kernel').not.toContain('UnaryOpProgram');
      });
    }
  }

  // A norm is shift-invariant: in exact arithmetic a bias before it changes nothing and its gradient (the channel sum
  // of dx) is 0, so both backends give rounding noise there. That the kernel reads the bias at all shows with a NaN.
  const biasCases: [string, Case, (number | undefined)[]][] = [
    [
      'instance norm',
      { kind: 'instance', shape: [2, 5, 7, 3], affine: false, bias: true, seed: 78 },
      [undefined, 0, 0.2],
    ],
    [
      'batch norm (affine)',
      { kind: 'batch', shape: [2, 3, 5, 3], affine: true, bias: true, seed: 79 },
      [undefined, 0.2],
    ],
  ];
  for (const [name, c, alphas] of biasCases) {
    for (const alpha of alphas) {
      const act = alpha === undefined ? '' : alpha ? ` + LeakyReLU ${alpha}` : ' + ReLU';
      it(`conv bias + ${name}${act}: matches cpu and finite differences; the bias costs no forward dispatch`, async () => {
        const x = (await awayFromKink(c))!;
        const ps = paramsOf(c);
        const r = await compare(opOf(c, alpha), [x, ...ps], 1e-3);
        expect(relMaxError(r.cpu.value, r.gpu.value), 'value').toBeLessThan(1e-4);
        const last = ps.length;
        for (let i = 0; i < last; i++) {
          expect(relMaxError(r.cpu.grads[i]!, r.gpu.grads[i]!), `gradient ${i}`).toBeLessThan(1e-4);
          expect(r.fd[i], `finite differences, input ${i}`).toBeLessThan(2e-3);
        }
        const dxScale = Math.max(...Array.from(r.cpu.grads[0]!, Math.abs));
        for (const g of [r.cpu.grads[last]!, r.gpu.grads[last]!]) {
          expect(Math.max(...Array.from(g, Math.abs)), 'bias gradient: rounding noise').toBeLessThan(1e-4 * dxScale);
        }
        // Affine with an activation would bind 9 storage buffers in the input gradient (WebGPU's default limit is
        // 8): that one case adds the bias with biasAdd first (tfjs may run so small an Add on the CPU: not counted).
        if (c.affine && alpha !== undefined) return;
        expect(r.dispatches.byProgram).toMatchObject(ownDispatches(c, alpha));
        const plain = await compare(opOf({ ...c, bias: false }, alpha), [x, ...ps.slice(0, -1)]);
        expect(r.dispatches.total, 'dispatches beyond the bias-free op: the bias gradient').toBe(
          plain.dispatches.total + 1,
        );
      });
    }
  }

  it('conv bias + instance norm + residual (the end of a ResNet block): matches cpu and finite differences, no Add', async () => {
    const shape = [2, 5, 3, 4];
    const op = (x: tf.Tensor, bias: tf.Tensor, residual: tf.Tensor) =>
      normalizeAct(x as tf.Tensor4D, {
        kind: 'instance',
        bias: bias as tf.Tensor1D,
        residual: residual as tf.Tensor4D,
      });
    const inputs = [randomArr(shape, 81), randomArr([4], 82), randomArr(shape, 83)];
    const r = await compare(op, inputs, 1e-3);
    expect(relMaxError(r.cpu.value, r.gpu.value), 'value').toBeLessThan(1e-5);
    for (const i of [0, 2]) {
      expect(relMaxError(r.cpu.grads[i]!, r.gpu.grads[i]!), `gradient ${i}`).toBeLessThan(1e-4);
      expect(r.fd[i], `finite differences, input ${i}`).toBeLessThan(2e-3);
    }
    const dxScale = Math.max(...Array.from(r.cpu.grads[0]!, Math.abs));
    expect(Math.max(...Array.from(r.gpu.grads[1]!, Math.abs)), 'bias gradient: rounding noise').toBeLessThan(
      1e-4 * dxScale,
    );
    expect(r.dispatches.byProgram).toMatchObject({
      PipeNormApplyResidual: 2,
      PipeNormGradSums: 1,
      PipeNormInputGrad: 1,
    });
    // The residual costs no dispatch: the op without it makes as many.
    const noResidual = (x: tf.Tensor, b: tf.Tensor) =>
      normalizeAct(x as tf.Tensor4D, { kind: 'instance', bias: b as tf.Tensor1D });
    expect(r.dispatches.total).toBe((await compare(noResidual, inputs.slice(0, 2))).dispatches.total);
  });

  it('conv bias + instance norm: a NaN bias poisons its channel, as on cpu', async () => {
    const c: Case = { kind: 'instance', shape: [2, 3, 3, 2], affine: false, bias: true, seed: 80 };
    const bias = { data: Float32Array.from([NaN, 0.5]), shape: [2] };
    const r = await onBoth(async () => {
      const [x, b] = [randomArr(c.shape, c.seed), bias].map(tensor);
      const y = opOf(c, 0.2)(x!, b!);
      const v = await data(y);
      tf.dispose([x!, b!, y]);
      return Array.from(v, (t, i) => (Number.isNaN(t) ? i : -1)).filter((i) => i >= 0);
    });
    expect(r.webgpu).toEqual(r.cpu);
    expect(r.cpu).toEqual(Array.from({ length: 18 }, (_, i) => 2 * i));
  });

  const biasActs: [string, BiasActKind][] = [
    ['ReLU', { kind: 'leaky', alpha: 0 }],
    ['LeakyReLU 0.2', { kind: 'leaky', alpha: 0.2 }],
    ['tanh', { kind: 'tanh' }],
  ];
  for (const [name, act] of biasActs) {
    it(`bias + ${name} (batch 2, odd sizes, 5 channels): matches cpu and finite differences, 1 dispatch each way + the bias sum`, async () => {
      const shape = [2, 3, 7, 5];
      const bias = randomArr([5], 98);
      // Pre-activations at least 0.05 from the kink (x + bias = z with |z| >= 0.05), for the finite differences.
      const x = randomArr(shape, 99);
      x.data.forEach((z, i) => (x.data[i] = Math.sign(z) * (0.05 + Math.abs(z)) - bias.data[i % 5]!));
      const r = await compare((a: tf.Tensor, b: tf.Tensor) => biasAct(a, b, act), [x, bias], 1e-3);
      expectAgree(r, 1e-5, 1e-3);
      const kernel = act.kind === 'tanh' ? 'Tanh' : 'LeakyRelu';
      const own = Object.fromEntries(Object.entries(r.dispatches.byProgram).filter(([k]) => k.startsWith('Pipe')));
      expect(own).toEqual({ [`PipeBias${kernel}`]: 2, [`Pipe${kernel}Grad`]: 1, PipeChannelSum: 1 });
      expect(Object.keys(r.dispatches.byProgram), 'no activation kernel').not.toContain('UnaryOpProgram');
    });
  }

  it("a frozen backbone's bias + ReLU (VGG, LPIPS): the same values as cpu, 1 dispatch each way and no bias sum", async () => {
    const b = randomArr([5], 96);
    const bias = tensor(b); // a constant, as a backbone's: no gradient is asked for it
    const x = randomArr([2, 3, 7, 5], 97);
    // Away from the kink, for the finite differences.
    x.data.forEach((z, i) => (x.data[i] = Math.sign(z) * (0.05 + Math.abs(z)) - b.data[i % 5]!));
    const r = await compare((a: tf.Tensor) => frozenBiasRelu(a, bias), [x], 1e-3);
    expect(relMaxError(r.cpu.value, r.gpu.value)).toBe(0);
    expect(relMaxError(r.cpu.grads[0]!, r.gpu.grads[0]!)).toBe(0);
    expect(r.fd[0]).toBeLessThan(1e-3);
    expect(r.dispatches.byProgram).toMatchObject({ PipeBiasLeakyRelu: 2, PipeLeakyReluGrad: 1 });
    expect(Object.keys(r.dispatches.byProgram)).not.toContain('PipeChannelSum');
    expect(Object.keys(r.dispatches.byProgram)).not.toContain('UnaryOpProgram');
    bias.dispose();
  });

  it('relu(concat) (batch 2, 3 + 4 channels, odd sizes): matches cpu and finite differences, 1 dispatch each way', async () => {
    // Away from the kink for the finite differences: every |value| >= 0.05.
    const away = (shape: number[], seed: number) => {
      const a = randomArr(shape, seed);
      a.data.forEach((v, i) => (a.data[i] = Math.sign(v) * (0.05 + Math.abs(v))));
      return a;
    };
    const r = await compare(
      (a: tf.Tensor, b: tf.Tensor) => concatRelu(a, b),
      [away([2, 3, 5, 3], 84), away([2, 3, 5, 4], 85)],
      1e-3,
    );
    expectAgree(r, 1e-6, 1e-3);
    const programs = r.dispatches.byProgram;
    expect(programs).toMatchObject({ PipeConcatRelu: 2, PipeConcatReluGrad: 1 });
    for (const stock of ['ConcatProgram', 'SliceProgram', 'UnaryOpProgram'])
      expect(Object.keys(programs)).not.toContain(stock);
  });

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
