// The f16 convolutions of forward passes (PIPE_WEBGPU_F16=1) against their f32 twin. They run where the adapter
// offers shader-f16: Mesa 25's lavapipe (the 'webgpu-lavapipe' project of vitest.config.ts); elsewhere the tests
// check that f16 is reported unavailable and never used. The twin is exact: an f16 kernel's result equals, bit for
// bit, the f32 kernel's on operands rounded to f16 (by the GPU's own conversion), because the products of two f16
// values are exact in f32 and the sums run in the same order.
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { conv2d } from '../ops/conv2d.js';
import { conv2dTranspose } from '../ops/conv2d_transpose.js';
import { convGeometry, type ConvGeometry } from '../ops/geometry.js';
import { randomArr, type Arr } from '../ops/testing.js';
import { convShader, forwardConvWebgpu, inputGradWebgpu, type ProductOptions } from './conv.js';
import { countDispatches } from './dispatches.js';
import { f16Available, f16InUse, probeF16 } from './f16.js';
import { runKernel } from './kernel.js';
import {
  data,
  expectSkipAllowed,
  relMaxError,
  tensor,
  valueAndGrads,
  wantsF16,
  webgpuSkipReason,
} from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `webgpu f16 (skipped: ${skipped})` : 'webgpu f16';

/**
 * x rounded to f16 and back by the GPU, through workgroup memory as the kernels' tiles do it (a plain f32(f16(v)) is
 * folded into v by Mesa's compiler).
 */
function roundedByGpu(x: tf.Tensor): tf.Tensor {
  const [out] = runKernel({
    name: 'TestRoundF16',
    wgsl: `enable f16;
struct U { n: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
var<workgroup> tile: array<f16, 64>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  tile[li] = f16(x[min(g.x, u.n - 1u)]);
  workgroupBarrier();
  if (g.x < u.n) { out[g.x] = f32(tile[li]); }
}`,
    inputs: [x],
    outputShapes: [x.shape],
    uniforms: [{ type: 'uint32', value: x.size }],
    workgroups: [Math.ceil(x.size / 64)],
  });
  return out!;
}

type Product = typeof forwardConvWebgpu;

/** The f16 product on a, b; the f32 product on a, b rounded to f16; the f32 product on a, b (all on webgpu). */
async function threeProducts(product: Product, a: Arr, b: Arr, g: ConvGeometry, o: ProductOptions = {}) {
  const [x, w] = [tensor(a) as tf.Tensor4D, tensor(b) as tf.Tensor4D];
  const [xr, wr] = [roundedByGpu(x) as tf.Tensor4D, roundedByGpu(w) as tf.Tensor4D];
  const outs = [
    product(x, w, g, { ...o, tiles: 'f16' }),
    product(xr, wr, g, { ...o, tiles: 'f32' }),
    product(x, w, g, { ...o, tiles: 'f32' }),
  ];
  const [f16, twin, f32, rounded] = await Promise.all([...outs, wr].map(data));
  tf.dispose([x, w, xr, wr, ...outs]);
  return { f16: f16!, twin: twin!, f32: f32!, original: b.data, rounded: rounded! };
}

const cases: [string, Product, number[], number[], number, number | 'same', number, ProductOptions][] = [
  // name, product, left operand's shape, filter, stride, pad, dilation, options
  ['forward, 3x3 stride 1 same, odd sizes, batch 2', forwardConvWebgpu, [2, 7, 5, 3], [3, 3, 3, 5], 1, 'same', 1, {}],
  ['forward, 4x4 stride 2 pad 1', forwardConvWebgpu, [2, 9, 9, 6], [4, 4, 6, 7], 2, 1, 1, {}],
  ['forward, 3x3 dilation 2, split into 3 K-chunks', forwardConvWebgpu, [1, 8, 7, 20], [3, 3, 20, 3], 1, 2, 2, {}],
  [
    'transposed, 4x4 stride 2 pad 1 (pix2pix up-conv, per phase)',
    inputGradWebgpu,
    [2, 4, 5, 7],
    [4, 4, 3, 7],
    2,
    1,
    1,
    {},
  ],
  ['transposed, 3x3 stride 1, split into 7 K-chunks', inputGradWebgpu, [1, 6, 6, 40], [3, 3, 4, 40], 1, 1, 1, {}],
  // The 64x64 tiles autotuning may choose (8x8 per thread).
  ['forward, 4x4 stride 2 pad 1, 64x64 tiles', forwardConvWebgpu, [2, 9, 9, 6], [4, 4, 6, 70], 2, 1, 1, { tile: 64 }],
  ['transposed, 4x4 stride 2 pad 1, 64x64 tiles', inputGradWebgpu, [2, 4, 5, 7], [4, 4, 66, 7], 2, 1, 1, { tile: 64 }],
  [
    'forward, 3x3 same, 64x64 tiles over 256 threads',
    forwardConvWebgpu,
    [1, 9, 9, 6],
    [3, 3, 6, 70],
    1,
    'same',
    1,
    { tile: '64w' },
  ],
];

describe.skipIf(skipped !== null)(title, () => {
  afterEach(() => {
    delete process.env.PIPE_WEBGPU_F16;
  });

  it('is available exactly where the adapter offers shader-f16, and used only with PIPE_WEBGPU_F16=1', async () => {
    const info = await initBackend('webgpu');
    try {
      const off = 'off (available: PIPE_WEBGPU_F16=1 or backend_options.webgpu.f16: true uses it)';
      expect(info.details?.f16).toBe(wantsF16() ? off : 'not offered by the adapter');
      expect(f16Available()).toBe(wantsF16());
      expect(f16InUse()).toBe(false);
      process.env.PIPE_WEBGPU_F16 = '1';
      expect(await probeF16(convShader('forward', 'f16'))).toBe(wantsF16() ? 'used' : 'not offered by the adapter');
      expect(f16InUse()).toBe(wantsF16());
    } finally {
      await initBackend('cpu');
    }
  });

  for (const [name, product, left, filter, stride, pad, dilation, o] of cases) {
    it(`${name}: equals the f32 kernel on f16-rounded operands bit for bit`, async () => {
      await initBackend('webgpu');
      if (!f16Available()) return expect(wantsF16()).toBe(false);
      // conv2dTranspose's geometry is its adjoint conv's: from the output shape back to the input.
      const forward = product === forwardConvWebgpu;
      const filterShape = forward ? filter : [filter[0]!, filter[1]!, filter[2]!, left[3]!];
      const inShape = forward ? left : [left[0]!, left[1]! * stride, left[2]! * stride, filter[2]!];
      const g = convGeometry(inShape, filterShape, stride, pad, dilation, 'test');
      const splits = name.match(/split into (\d+)/)?.[1];
      // Weights scaled to pix2pix's init (N(0, 0.02)): some fall below f16's smallest normal, 6.1e-5.
      const w = randomArr(filterShape, 32);
      w.data.forEach((v, i) => (w.data[i] = v * 0.03));
      try {
        const r = await threeProducts(product, randomArr(left, 31), w, g, {
          ...o,
          splits: Number(splits ?? 0) || undefined,
        });
        expect(Array.from(r.f16)).toEqual(Array.from(r.twin));
        expect(relMaxError(r.f32, r.f16), 'f16 vs f32').toBeGreaterThan(0); // f16 did round
        expect(relMaxError(r.f32, r.f16), 'f16 vs f32').toBeLessThan(2e-3);
        r.original.forEach((v, i) => {
          const err = Math.abs(r.rounded[i]! - v);
          expect(err, `rounding ${v}`).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25));
        });
      } finally {
        await initBackend('cpu');
      }
    });
  }

  it('conv2d and conv2dTranspose: f16 runs in their forward products only; values and gradients near f32', async () => {
    const x = randomArr([2, 6, 6, 4], 41);
    const w = randomArr([4, 4, 4, 5], 42);
    const wt = randomArr([4, 4, 3, 5], 43);
    const f = (xi: tf.Tensor, wi: tf.Tensor, wti: tf.Tensor) =>
      conv2dTranspose(
        tf.relu(conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 2, 1)),
        wti as tf.Tensor4D,
        [2, 6, 6, 3],
        2,
        1,
      );
    await initBackend('webgpu');
    try {
      if (!f16Available()) return expect(wantsF16()).toBe(false);
      const f32 = await valueAndGrads(f, [x, w, wt]);
      process.env.PIPE_WEBGPU_F16 = '1';
      const { result: f16, dispatches } = await countDispatches(() => valueAndGrads(f, [x, w, wt]));
      expect(relMaxError(f32.value, f16.value), 'value').toBeGreaterThan(0);
      expect(relMaxError(f32.value, f16.value), 'value').toBeLessThan(2e-3);
      // The gradients' products run on f32 tiles, but on the f16 forward's activations (relu's mask, the
      // transposed conv's input), so they agree closely rather than exactly; the dispatches say which ran where.
      f32.grads.forEach((g, i) => expect(relMaxError(g, f16.grads[i]!), `gradient ${i}`).toBeLessThan(2e-3));
      const ran = dispatches.byProgram;
      expect(ran.PipeConv_forward_f16).toBe(2); // conv2d's value, twice: once more under the gradient
      expect(ran.PipeConv_input_f16).toBe(2); // conv2dTranspose's value, likewise
      expect(ran.PipeConv_forward).toBe(1); // conv2dTranspose's input gradient
      expect(ran.PipeConv_input).toBe(1); // conv2d's input gradient
      expect(ran.PipeConv_filter).toBe(2); // both filter gradients
    } finally {
      await initBackend('cpu');
    }
  });
});

describe.skipIf(skipped === null)(title, () => {
  it('why skipped', () => expectSkipAllowed(skipped));
});
