import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { registerGradients } from '../train/gradients.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { ganLoss } from './gan.js';
import { l1Loss } from './l1.js';
import { perceptualLoss } from './perceptual.js';
import { gram, styleLoss } from './style.js';
import { cycleLoss, identityLoss } from './cycle.js';
import { FeatureCriterion, featureLayers, type FeatureExtractor } from './feature-criterion.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await registerGradients();
});
const num = (t: tf.Tensor) => t.dataSync()[0];

describe('GAN loss', () => {
  const logits = tf.tensor4d([-3, -0.5, 0, 2, 40, -40], [1, 1, 6, 1]);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const xs = [-3, -0.5, 0, 2, 40, -40];
  it('vanilla is BCE with logits, stable for large logits', () => {
    const real = -xs.reduce((s, x) => s + Math.log(Math.max(sig(x), 1e-300)), 0) / 6;
    expect(num(ganLoss('vanilla', logits, true))).toBeCloseTo(
      real === Infinity ? NaN : xs.reduce((s, x) => s + Math.max(-x, 0) + Math.log1p(Math.exp(-Math.abs(x))), 0) / 6,
      5,
    );
    expect(num(ganLoss('vanilla', logits, false))).toBeCloseTo(
      xs.reduce((s, x) => s + Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))), 0) / 6,
      5,
    );
    expect(Number.isFinite(num(ganLoss('vanilla', logits, true)))).toBe(true);
  });
  it('lsgan is MSE against 1 / 0', () => {
    expect(num(ganLoss('lsgan', logits, true))).toBeCloseTo(xs.reduce((s, x) => s + (x - 1) ** 2, 0) / 6, 3);
    expect(num(ganLoss('lsgan', logits, false))).toBeCloseTo(xs.reduce((s, x) => s + x ** 2, 0) / 6, 3);
  });
  it('vanilla gradient is (sigmoid(x) - t) / n', () => {
    const g = tf
      .grad((x: tf.Tensor) => ganLoss('vanilla', x, true))(logits)
      .dataSync();
    xs.forEach((x, i) => expect(g[i]).toBeCloseTo((sig(x) - 1) / 6, 6));
  });
  it('propagates NaNs', () => {
    expect(num(ganLoss('vanilla', tf.tensor1d([NaN, 1]), true))).toBeNaN();
  });
});

describe('reconstruction losses', () => {
  const a = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const b = tf.tensor4d([0, 2, 5, 4], [1, 2, 2, 1]);
  it('l1, cycle and identity scale mean |a-b|', () => {
    expect(num(l1Loss(a, b))).toBeCloseTo(0.75);
    expect(num(cycleLoss(a, b, 10))).toBeCloseTo(7.5);
    expect(num(identityLoss(a, b, 10, 0.5))).toBeCloseTo(3.75);
  });
});

describe('feature losses', () => {
  const f1 = { relu1: tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]), relu2: tf.tensor4d([1, 1], [1, 1, 1, 2]) };
  const f2 = { relu1: tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 10], [1, 2, 2, 2]), relu2: tf.tensor4d([0, 1], [1, 1, 1, 2]) };
  it('perceptual = sum_l w_l mean squared feature difference (1/(CHW))', () => {
    expect(num(perceptualLoss(f1, f2, { relu1: 2, relu2: 0.5 }))).toBeCloseTo(2 * (4 / 8) + 0.5 * (1 / 2), 6);
  });
  it('gram is f^T f / (C*H*W)', () => {
    const g = gram(tf.tensor4d([1, 2, 3, 4], [1, 2, 1, 2])).arraySync();
    expect(g).toEqual([
      [
        [(1 + 9) / 4, (2 + 12) / 4],
        [(2 + 12) / 4, (4 + 16) / 4],
      ],
    ]);
  });
  it('style compares Gram matrices', () => {
    const g1 = gram(f1.relu2).dataSync();
    const g2 = gram(f2.relu2).dataSync();
    const expected = Array.from(g1).reduce((s, v, i) => s + (v - g2[i]) ** 2, 0) / 4;
    expect(num(styleLoss(f1, f2, { relu2: 3 }))).toBeCloseTo(3 * expected, 6);
  });
  it('names a missing layer', () => {
    expect(() => perceptualLoss(f1, f2, { relu3: 1 })).toThrow(/relu3/);
  });

  // A small fixed conv stands in for the backbone: these tests are about the criterion's bookkeeping.
  const kernel = tf.randomNormal([3, 3, 3, 4], 0, 0.5, 'float32', 1) as tf.Tensor4D;
  let calls = 0;
  const extractor: FeatureExtractor = {
    features(x, layers) {
      calls++;
      const c = tf.relu(tf.conv2d(x, kernel, 1, 'same')) as tf.Tensor4D;
      return Object.fromEntries(layers.map((l) => [l, c]));
    },
  };
  const cfg = {
    perceptual: { weight: 1, layers: { a: 1, b: 0 }, cache_real: true },
    style: { weight: 2, layers: { c: 1 } },
  };
  it('needs only the layers with a weight', () => {
    expect(featureLayers(cfg).sort()).toEqual(['a', 'c']);
    expect(
      featureLayers({ ...cfg, perceptual: { ...cfg.perceptual, weight: 0 }, style: { ...cfg.style, weight: 0 } }),
    ).toEqual([]);
  });
  it('caches phi(real) per image key and gives the same features as computing them', async () => {
    const crit = new FeatureCriterion(extractor, cfg);
    const real = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
    const direct = tf.tidy(() => extractor.features(real, ['a']));
    await crit.calibrate(real); // normalize: auto's scale, measured once before training
    calls = 0;
    const first = crit.realFeatures(real, ['x0', 'x1']);
    const before = tf.memory().numTensors;
    const second = crit.realFeatures(real, ['x0', 'x1']);
    expect(calls).toBe(2); // once per image, then served from the cache
    expect(tf.memory().numTensors - before).toBe(2); // only the returned concatenations
    expect(Array.from(second.a.dataSync())).toEqual(Array.from(direct.a.dataSync()));
    const fake = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    const t = crit.terms(fake, first);
    expect(num(t.perceptual)).toBeGreaterThan(0);
    expect(num(t.style)).toBeGreaterThan(0);
    crit.dispose();
  });
});
