// The reductions of pipe's webgpu kernels with WGSL subgroups against their workgroup-memory twin and the cpu
// backend. Subgroups run on SwiftShader and lavapipe (the 'webgpu-swiftshader' and 'webgpu-lavapipe' projects of
// vitest.config.ts); on llvmpipe through OpenGL ES, which does not offer them, the tests check that the kernels keep
// the tree reduction. Sizes are above one workgroup and
// not multiples of it, so every partial of the sum counts.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { l1Loss } from '../losses/l1.js';
import { mseLoss } from '../losses/mse.js';
import { ganLoss } from '../losses/gan.js';
import { normalizeAct, type NormActOptions } from '../ops/normalize.js';
import { biasAct } from '../ops/bias_add.js';
import { randomArr, type Arr } from '../ops/testing.js';
import { countDispatches } from './dispatches.js';
import { pipelineError, subgroupsInUse, subgroupVerdict, workgroupSum } from './subgroups.js';
import { expectSkipAllowed, relMaxError, valueAndGrads, wantsSubgroups, webgpuSkipReason } from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `webgpu subgroups (skipped: ${skipped})` : 'webgpu subgroups';

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

/** Value and gradients on cpu, then on webgpu with subgroups where the adapter has them, then without. */
async function threeWays(f: Fn, inputs: Arr[]) {
  await initBackend('cpu');
  const cpu = await valueAndGrads(f, inputs);
  await initBackend('webgpu');
  try {
    const used = subgroupsInUse();
    const withSubgroups = await valueAndGrads(f, inputs);
    process.env.PIPE_WEBGPU_SUBGROUPS = '0';
    const tree = await valueAndGrads(f, inputs);
    return { cpu, withSubgroups, tree, used };
  } finally {
    delete process.env.PIPE_WEBGPU_SUBGROUPS;
    await initBackend('cpu');
  }
}

type Result = Awaited<ReturnType<typeof valueAndGrads>>;

function expectClose(a: Result, b: Result, tol: number, what: string) {
  expect(relMaxError(a.value, b.value), `${what}: value`).toBeLessThan(tol);
  a.grads.forEach((g, i) => expect(relMaxError(g, b.grads[i]!), `${what}: gradient ${i}`).toBeLessThan(tol));
}

const norm =
  (kind: NormActOptions['kind'], alpha: number | undefined): Fn =>
  (x, gamma, beta) =>
    normalizeAct(x as tf.Tensor4D, { kind, alpha, gamma: gamma as tf.Tensor1D, beta: beta as tf.Tensor1D });

describe.skipIf(skipped !== null)(title, () => {
  afterEach(() => {
    delete process.env.PIPE_WEBGPU_SUBGROUPS;
  });

  it('are used exactly where the adapter offers them and lays them out as runs of invocations', async () => {
    await initBackend('webgpu');
    const verdict = subgroupVerdict();
    await initBackend('cpu');
    expect(verdict).toBe(wantsSubgroups() ? 'used' : 'not offered by the adapter');
  });

  const cases: [string, Fn, Arr[]][] = [
    [
      'batch norm + LeakyReLU',
      norm('batch', 0.2),
      [randomArr([2, 13, 11, 3], 5), randomArr([3], 6), randomArr([3], 7)],
    ],
    [
      'instance norm',
      norm('instance', undefined),
      [randomArr([2, 9, 17, 2], 8), randomArr([2], 9), randomArr([2], 10)],
    ],
    [
      'conv bias gradient (channel sum)',
      (x, b) => biasAct(x as tf.Tensor4D, b as tf.Tensor1D, { kind: 'tanh' }),
      [randomArr([3, 10, 9, 4], 11), randomArr([4], 12)],
    ],
    ['L1 loss', (a, t) => l1Loss(a!, t!), [randomArr([1, 23, 29, 3], 13), randomArr([1, 23, 29, 3], 14)]],
    ['MSE loss', (a, t) => mseLoss(a!, t!), [randomArr([1, 31, 17, 2], 15), randomArr([1, 31, 17, 2], 16)]],
    ['BCE GAN loss', (a) => ganLoss('vanilla', a!, true), [randomArr([2, 30, 30, 1], 17)]],
    // Above 65,536 elements a loss sums in 75 workgroups, then adds their sums (mean-loss.ts).
    [
      'L1 loss over 306,900 elements',
      (a, t) => l1Loss(a!, t!),
      [randomArr([1, 300, 341, 3], 18), randomArr([1, 300, 341, 3], 19)],
    ],
    ['BCE GAN loss over 72,000 elements', (a) => ganLoss('vanilla', a!, false), [randomArr([2, 120, 300, 1], 20)]],
  ];
  for (const [name, f, inputs] of cases) {
    it(`${name}: the subgroup sum agrees with the tree sum and with cpu`, async () => {
      const r = await threeWays(f, inputs);
      expect(r.used).toBe(wantsSubgroups());
      expectClose(r.withSubgroups, r.tree, 1e-5, 'subgroups vs tree');
      expectClose(r.cpu, r.withSubgroups, 1e-4, 'cpu vs webgpu');
    });
  }

  it('a shader the device rejects is reported, and does not fail later reads', async () => {
    await initBackend('webgpu');
    try {
      const device = (tf.backend() as unknown as { device: unknown }).device;
      expect(await pipelineError(device, 'enable nonsense; fn main() {}')).toMatch(/\S/);
      expect(await pipelineError(device, '@compute @workgroup_size(1) fn main() {}')).toBeNull();
      const t = tf.add(tf.ones([3]), 1);
      expect(Array.from(await t.data())).toEqual([2, 2, 2]);
      t.dispose();
    } finally {
      await initBackend('cpu');
    }
  });

  it('a loss over more than 65,536 elements adds the sums of its workgroups in one more dispatch', async () => {
    await initBackend('webgpu');
    try {
      for (const [shape, forward] of [
        [[1, 256, 256, 1], { PipeMse: 1 }],
        [[1, 256, 257, 1], { PipeMse: 1, PipeLossSum: 1 }],
      ] as const) {
        const [a, t] = [
          tf.randomNormal([...shape], 0, 1, 'float32', 1),
          tf.randomNormal([...shape], 0, 1, 'float32', 2),
        ];
        const { result, dispatches } = await countDispatches(() => mseLoss(a, t));
        expect(dispatches.byProgram, JSON.stringify(shape)).toEqual(forward);
        tf.dispose([a, t, result]);
      }
    } finally {
      await initBackend('cpu');
    }
  });
});

it.runIf(skipped !== null)('reports why the subgroup tests were skipped (and fails in CI)', () => {
  expectSkipAllowed(skipped);
});

describe('workgroup sums in WGSL', () => {
  it('writes a two-barrier subgroup sum and a tree sum with log2(size) + 1 barriers', () => {
    const barriers = (s: string) => s.split('workgroupBarrier()').length - 1;
    const sub = workgroupSum('f32', 64, true);
    expect(sub.enable).toBe('enable subgroups;\n');
    expect(sub.decl).toContain('subgroupAdd(v)');
    expect(barriers(sub.decl)).toBe(2); // one before the partials are written, one before they are read
    const tree = workgroupSum('vec2<f32>', 64, false);
    expect(tree.enable).toBe('');
    expect(tree.params).toBe('');
    expect(tree.decl).not.toContain('subgroup');
    expect(tree.call('acc')).toBe('wgSum(acc, lid)');
    expect(barriers(tree.decl)).toBe(3); // before and after the write, and in the loop (6 times for 64)
  });
});
