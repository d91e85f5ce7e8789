// pipe's own webgpu kernels against the cpu backend (Mesa llvmpipe here and in CI; tiny shapes: llvmpipe is slow).
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { adamUpdate } from '../ops/adam_update.js';
import { l1Loss } from '../losses/l1.js';
import { leakyRelu } from '../ops/activation.js';
import { biasAdd } from '../ops/bias_add.js';
import { conv2d } from '../ops/conv2d.js';
import { conv2dTranspose } from '../ops/conv2d_transpose.js';
import { filterProduct, forwardProduct, transposedProduct } from '../ops/conv_dispatch.js';
import { convGeometry } from '../ops/geometry.js';
import { batchNorm, instanceNorm } from '../ops/normalize.js';
import { reflectionPad } from '../ops/reflection_pad.js';
import { convFitsWebgpu, filterGradWebgpu, forwardConvWebgpu, inputGradWebgpu } from './conv.js';
import { randomArr } from '../ops/testing.js';
import { countDispatches } from './dispatches.js';
import {
  compare,
  data,
  expectAgree,
  expectSkipAllowed,
  onBoth,
  relMaxError,
  tensor,
  valueAndGrads,
  webgpuSkipReason,
} from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `pipe webgpu kernels (skipped: ${skipped})` : 'pipe webgpu kernels';

describe.skipIf(skipped !== null)(title, () => {
  it('batch norm (affine, batch 2, odd sizes): value and gradients match cpu and finite differences', async () => {
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      batchNorm(x as tf.Tensor4D, g as tf.Tensor1D, b as tf.Tensor1D);
    const r = await compare(f, [randomArr([2, 5, 3, 3], 71), randomArr([3], 72), randomArr([3], 73)], 1e-3);
    expectAgree(r, 1e-4, 2e-3);
    // 2 dispatches forward (run twice: for the value and under the gradient), 2 backward.
    const norm = Object.fromEntries(Object.entries(r.dispatches.byProgram).filter(([k]) => k.startsWith('PipeNorm')));
    expect(norm).toEqual({ PipeNormStats: 2, PipeNormApply: 2, PipeNormGradSums: 1, PipeNormInputGrad: 1 });
  });

  it('instance norm (plain and affine, batch 2): value and gradients match cpu and finite differences', async () => {
    const plain = await compare((x: tf.Tensor) => instanceNorm(x as tf.Tensor4D), [randomArr([2, 7, 5, 4], 74)], 1e-3);
    expectAgree(plain, 1e-4, 2e-3);
    const f = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      instanceNorm(x as tf.Tensor4D, 1e-5, g as tf.Tensor1D, b as tf.Tensor1D);
    expectAgree(
      await compare(f, [randomArr([2, 3, 3, 2], 75), randomArr([2], 76), randomArr([2], 77)], 1e-3),
      1e-4,
      2e-3,
    );
  });

  const convCases: [string, number[], number[], number, number | 'same', number][] = [
    // name, x shape, filter shape, stride, pad, dilation
    ['3x3 stride 1 same, odd sizes, batch 2', [2, 7, 5, 3], [3, 3, 3, 5], 1, 'same', 1],
    ['4x4 stride 2 pad 1 (pix2pix down), odd input, batch 2', [2, 9, 9, 3], [4, 4, 3, 6], 2, 1, 1],
    ['3x3 dilation 2 pad 2', [1, 8, 7, 2], [3, 3, 2, 3], 1, 2, 2],
    // The input gradient works per stride phase: 3 phases per axis with 2, 1 and 1 taps of a 4x4 filter.
    ['4x4 stride 3 pad 2, uneven phases', [1, 11, 10, 2], [4, 4, 2, 3], 3, 2, 1],
    // A 1x1 stride-2 filter leaves 3 of the 4 phases without taps: their dx is 0.
    ['1x1 stride 2 pad 0, phases without taps', [2, 7, 6, 3], [1, 1, 3, 4], 2, 0, 1],
    [
      '7x7 stride 1 pad 0 (ResNet stem after reflection pad), 37 outputs > one 32-wide tile',
      [1, 9, 9, 3],
      [7, 7, 3, 37],
      1,
      0,
      1,
    ],
  ];
  for (const [name, xs, ws, stride, pad, dil] of convCases) {
    it(`conv2d ${name}: value and both gradients match cpu and finite differences`, async () => {
      const f = (x: tf.Tensor, w: tf.Tensor) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad, dil);
      const r = await compare(f, [randomArr(xs, 81), randomArr(ws, 82)]);
      expectAgree(r, 1e-4, 1e-3);
      const own = Object.entries(r.dispatches.byProgram)
        .filter(([k]) => k.startsWith('PipeConv'))
        .map(([k, n]) => `${k}:${n}`);
      expect(own.sort()).toEqual(['PipeConv_filter:1', 'PipeConv_forward:2', 'PipeConv_input:1']);
    });
  }

  it('conv2dTranspose stride 2 pad 1 (pix2pix up), batch 2: value and gradients match cpu and finite differences', async () => {
    const f = (y: tf.Tensor, w: tf.Tensor) => conv2dTranspose(y as tf.Tensor4D, w as tf.Tensor4D, [2, 10, 10, 3], 2, 1);
    expectAgree(await compare(f, [randomArr([2, 5, 5, 4], 83), randomArr([4, 4, 3, 4], 84)]), 1e-4, 1e-3);
  });

  it('reflection pad (uneven sides, batch 2): value and gradient match cpu and finite differences, 1 dispatch each way', async () => {
    const r = await compare(
      (x: tf.Tensor) => reflectionPad(x as tf.Tensor4D, [3, 1, 2, 3]),
      [randomArr([2, 5, 4, 3], 87)],
    );
    expectAgree(r, 1e-5, 1e-3);
    expect(r.dispatches.byProgram).toMatchObject({ PipeReflectPad: 2, PipeReflectPadGrad: 1 });
  });

  it("PIPE_WEBGPU_KERNELS=stock runs tfjs's own kernels with the same result", async () => {
    const f = (x: tf.Tensor, w: tf.Tensor) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1);
    const inputs = [randomArr([1, 6, 6, 2], 88), randomArr([4, 4, 2, 3], 89)];
    await initBackend('webgpu');
    try {
      const own = await countDispatches(() => valueAndGrads(f, inputs));
      process.env.PIPE_WEBGPU_KERNELS = 'stock';
      const stock = await countDispatches(() => valueAndGrads(f, inputs));
      expect(Object.keys(stock.dispatches.byProgram).some((k) => k.startsWith('Pipe'))).toBe(false);
      expect(Object.keys(own.dispatches.byProgram).some((k) => k.startsWith('PipeConv'))).toBe(true);
      expect(relMaxError(stock.result.value, own.result.value)).toBeLessThan(1e-5);
      stock.result.grads.forEach((g, i) => expect(relMaxError(g, own.result.grads[i]!)).toBeLessThan(1e-5));
    } finally {
      delete process.env.PIPE_WEBGPU_KERNELS;
      await initBackend('cpu');
    }
  });

  it('a conv too large for one dispatch grid goes to the stock kernels', () => {
    expect(convFitsWebgpu(convGeometry([2, 256, 256, 3], [4, 4, 3, 64], 2, 1, 1, 'test'))).toBe(true);
    expect(convFitsWebgpu(convGeometry([2, 1100, 1100, 3], [3, 3, 3, 8], 1, 1, 1, 'test'))).toBe(false);
  });

  it('ReLU and LeakyReLU: value and gradient (zeros included) match cpu and finite differences, 1 dispatch back', async () => {
    const x = randomArr([2, 3, 5, 3], 90);
    x.data[0] = 0;
    x.data[7] = 0;
    for (const alpha of [0, 0.2]) {
      const r = await compare((t: tf.Tensor) => leakyRelu(t, alpha), [x], 1e-3);
      expect(relMaxError(r.cpu.value, r.gpu.value), `alpha ${alpha} value`).toBeLessThan(1e-6);
      expect(relMaxError(r.cpu.grads[0]!, r.gpu.grads[0]!), `alpha ${alpha} gradient`).toBeLessThan(1e-6);
      expect(r.dispatches.byProgram.PipeLeakyReluGrad).toBe(1);
      // Finite differences away from the kink: every |x| >= 0.1.
      const away = randomArr([2, 3, 5, 3], 91);
      away.data.forEach((v, i) => (away.data[i] = Math.sign(v) * (0.1 + Math.abs(v))));
      const fd = await compare((t: tf.Tensor) => leakyRelu(t, alpha), [away], 1e-3);
      expect(fd.fd[0], `alpha ${alpha}`).toBeLessThan(1e-3);
    }
  });

  it('bias add (batch 2, 70 channels > one workgroup row): gradients match cpu and finite differences, 1 dispatch', async () => {
    const r = await compare(
      (y: tf.Tensor, b: tf.Tensor) => biasAdd(y, b),
      [randomArr([2, 5, 3, 70], 92), randomArr([70], 93)],
    );
    expectAgree(r, 1e-5, 1e-3);
    expect(r.dispatches.byProgram.PipeChannelSum).toBe(1);
  });

  it('L1 loss (batch 2, odd sizes, ties included): value and both gradients match cpu and finite differences', async () => {
    const a = randomArr([2, 7, 5, 3], 94);
    const b = randomArr([2, 7, 5, 3], 95);
    // A tie: PyTorch's sign(0) = 0 gradient, which pipe's kernel gives; tfjs's stock Abs gradient gives -1 there
    // (step(x, -1)), so the tie is compared with 0 and the rest with cpu.
    b.data[3] = a.data[3]!;
    const r = await compare((x: tf.Tensor, y: tf.Tensor) => l1Loss(x, y), [a, b], 1e-3);
    expect(relMaxError(r.cpu.value, r.gpu.value)).toBeLessThan(1e-5);
    expect([r.gpu.grads[0]![3], r.gpu.grads[1]![3]].map(Math.abs)).toEqual([0, 0]);
    r.cpu.grads.forEach((g, i) => {
      const [want, got] = [Array.from(g), Array.from(r.gpu.grads[i]!)].map((v) => v.filter((_, k) => k !== 3));
      expect(relMaxError(want, got), `gradient ${i}`).toBeLessThan(1e-6);
    });
    expect(r.dispatches.byProgram).toMatchObject({ PipeL1: 2, PipeL1Grad: 1 });
    // Away from ties, finite differences (a kink at every a == b).
    const far = randomArr([2, 7, 5, 3], 96).data.map((x) => x + 3);
    const fd = await compare((x: tf.Tensor, y: tf.Tensor) => l1Loss(x, y), [{ data: far, shape: a.shape }, b], 1e-3);
    fd.fd.forEach((e, i) => expect(e, `finite differences, input ${i}`).toBeLessThan(1e-3));
  });

  it('filter gradient split over K: 1, 3 and 7 chunks agree with cpu', async () => {
    const g = convGeometry([2, 9, 9, 3], [4, 4, 3, 6], 2, 1, 1, 'test');
    const [xa, dya] = [randomArr([2, 9, 9, 3], 85), randomArr([2, g.outH, g.outW, 6], 86)];
    await initBackend('cpu');
    const ref = filterProduct(tensor(xa) as tf.Tensor4D, tensor(dya) as tf.Tensor4D, g);
    const want = await data(ref);
    ref.dispose();
    await initBackend('webgpu');
    try {
      for (const splits of [1, 3, 7]) {
        const [x, dy] = [tensor(xa) as tf.Tensor4D, tensor(dya) as tf.Tensor4D];
        const { result, dispatches } = await countDispatches(() => filterGradWebgpu(x, dy, g, { splits }));
        expect(relMaxError(want, await data(result)), `${splits} chunks`).toBeLessThan(1e-5);
        expect(dispatches.total, `${splits} chunks`).toBe(splits === 1 ? 1 : 2);
        tf.dispose([x, dy, result]);
      }
    } finally {
      await initBackend('cpu');
    }
  });

  it('forward and input products split over K (stride 1, and stride 2 per phase): 1, 3 and 7 chunks agree with cpu', async () => {
    for (const stride of [1, 2]) {
      const g = convGeometry([2, 9, 9, 5], [4, 4, 5, 6], stride, 1, 1, 'test');
      const [xa, wa, dya] = [
        randomArr([2, 9, 9, 5], 87),
        randomArr([4, 4, 5, 6], 88),
        randomArr([2, g.outH, g.outW, 6], 89),
      ];
      await initBackend('cpu');
      const [y, dx] = [forwardProduct, transposedProduct].map((f, i) =>
        f(tensor(i ? dya : xa) as tf.Tensor4D, tensor(wa) as tf.Tensor4D, g, 'backward'),
      );
      const want = [await data(y!), await data(dx!)];
      tf.dispose([y!, dx!]);
      await initBackend('webgpu');
      try {
        for (const splits of [1, 3, 7]) {
          const [x, w, dy] = [xa, wa, dya].map((a) => tensor(a) as tf.Tensor4D);
          const got = [forwardConvWebgpu(x!, w!, g, { splits }), inputGradWebgpu(dy!, w!, g, { splits })];
          const what = `stride ${stride}, ${splits} chunks`;
          expect(relMaxError(want[0]!, await data(got[0]!)), `forward, ${what}`).toBeLessThan(1e-5);
          expect(relMaxError(want[1]!, await data(got[1]!)), `input, ${what}`).toBeLessThan(1e-5);
          tf.dispose([x!, w!, dy!, ...got]);
        }
      } finally {
        await initBackend('cpu');
      }
    }
  });

  it('norm: a NaN poisons its own group only', async () => {
    const a = randomArr([2, 3, 3, 2], 75);
    a.data[0] = NaN; // image 0, channel 0
    await initBackend('webgpu');
    try {
      const y = instanceNorm(tensor(a) as tf.Tensor4D);
      const v = await data(y);
      y.dispose();
      const nanAt = Array.from(v, (x, i) => (Number.isNaN(x) ? i : -1)).filter((i) => i >= 0);
      expect(nanAt.length).toBe(9);
      expect(nanAt.every((i) => i < 18 && i % 2 === 0)).toBe(true);
    } finally {
      await initBackend('cpu');
    }
  });

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
