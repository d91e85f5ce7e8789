// LPIPS as a training loss: value and input gradient against PyTorch autograd (float64) on the real SqueezeNet
// ImageNet weights and the published squeeze heads (test/fixtures/lpips-loss/make_gradient.py), through the same
// LpipsCriterion the pix2pix and CycleGAN trainers use.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR, SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../../../test/shared-paths.js';
import { initBackend } from '../backend.js';
import { createLpips, type Lpips } from '../metrics/lpips.js';
import { batchSource } from '../train/batches.js';
import { registerGradients } from '../train/gradients.js';
import { createTrainer } from '../train/run.js';
import { trainParams } from '../train/test-params.js';
import { alignedSplit, unalignedSplit } from '../train/test-split.js';
import { LpipsCriterion } from './lpips-loss.js';

interface Fixture {
  shape: [number, number, number, number];
  fake_u8_base64: string;
  real_u8_base64: string;
  loss: number;
  grad_f32_base64: string;
}
const fx = JSON.parse(
  await fs.readFile(path.join(REPO_DIR, 'test/fixtures/lpips-loss/gradient.json'), 'utf8'),
) as Fixture;

const images = (b64: string) =>
  tf.tensor4d(
    Float32Array.from(Buffer.from(b64, 'base64'), (v) => v / 127.5 - 1),
    fx.shape,
  );
const floats = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
};

let lpips: Lpips;
beforeAll(async () => {
  await initBackend('wasm');
  await registerGradients();
  lpips = await createLpips({ net: 'squeeze', weightsDir: SHARED_WEIGHTS_DIR });
});
afterAll(() => lpips.dispose());

describe('loss.lpips', () => {
  it('value and gradient w.r.t. the generator output match PyTorch autograd', async () => {
    const crit = new LpipsCriterion(lpips);
    const fake = images(fx.fake_u8_base64);
    const real = images(fx.real_u8_base64);
    // Frozen filters are prepared (and kept) on first use: warm up before counting tensors.
    tf.tidy(() => crit.term(fake, crit.realFeatures(real)));
    const before = tf.memory().numTensors;
    const realFeats = crit.realFeatures(real);
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor4D) => crit.term(x, realFeats))(fake);
    const v = (await value.data())[0]!;
    const g = await grad.data();
    tf.dispose([value, grad, ...realFeats]);
    expect(tf.memory().numTensors).toBe(before);
    // Measured: 2e-7, 8e-7 and 8e-7 (float32 against float64).
    expect(Math.abs(v - fx.loss) / fx.loss).toBeLessThan(1e-5);
    const ref = floats(fx.grad_f32_base64);
    let err = 0;
    let norm = 0;
    let maxRef = 0;
    let maxErr = 0;
    for (let i = 0; i < ref.length; i++) {
      err += (g[i]! - ref[i]!) ** 2;
      norm += ref[i]! ** 2;
      maxRef = Math.max(maxRef, Math.abs(ref[i]!));
      maxErr = Math.max(maxErr, Math.abs(g[i]! - ref[i]!));
    }
    expect(Math.sqrt(err / norm)).toBeLessThan(1e-5);
    expect(maxErr / maxRef).toBeLessThan(1e-5);
    // The metric and the loss are one implementation: the metric's distance of the same pair is the same number.
    const d = await lpips.distance(fake, real);
    expect(Math.abs((d[0]! + d[1]!) / 2 - v)).toBeLessThan(1e-6);
    tf.dispose([fake, real]);
  });
});

describe('loss.lpips in the trainers', () => {
  it('pix2pix logs G_LPIPS and CycleGAN lpips_A / lpips_B, finite and weighted', async () => {
    const facades = await alignedSplit(path.join(SHARED_DATA_DIR, 'facades/train'), 2, 64);
    const seasons = await unalignedSplit(
      path.join(SHARED_DATA_DIR, 'summer2winter_yosemite/trainA'),
      path.join(SHARED_DATA_DIR, 'summer2winter_yosemite/trainB'),
      2,
      64,
    );
    const cases = [
      { split: facades, o: { model: { ngf: 4, ndf: 4 } }, keys: ['G_LPIPS'] },
      {
        split: seasons,
        o: {
          dataset: { layout: 'unaligned' as const },
          model: {
            kind: 'cyclegan' as const,
            generator: 'resnet_6blocks' as const,
            norm: 'instance' as const,
            ngf: 4,
            ndf: 4,
            dropout: false,
          },
        },
        keys: ['lpips_A', 'lpips_B'],
      },
    ];
    for (const { split, o, keys } of cases) {
      const params = trainParams({ ...o, loss: { lpips: { weight: 2, net: 'squeeze' } } });
      const trainer = await createTrainer(params, undefined, split, lpips);
      const layout = params.model.kind === 'cyclegan' ? 'unaligned' : 'aligned';
      const b = batchSource(split, { layout, cropSize: 64, flip: false, batchSize: 1, seed: 1 }).batch(0, 0);
      const t = await trainer.step(b, 0.0002, 0);
      tf.dispose([b.A, b.B]);
      trainer.dispose();
      // An initialised generator's output is far from the target: LPIPS near its top, times the weight 2.
      for (const k of keys) expect(t[k], k).toBeGreaterThan(0.5);
      for (const k of keys) expect(t[k], k).toBeLessThan(4);
    }
  });
});
