import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParams, disposeParams, initParams } from './params.js';
import { discriminatorFor, generatorFor, unetDepth, type ModelConfig } from './index.js';

const base: ModelConfig = {
  kind: 'pix2pix',
  generator: 'unet_256',
  discriminator: { kind: 'patch', n_layers: 3 },
  norm: 'batch',
  ngf: 64,
  ndf: 64,
  dropout: true,
  init_gain: 0.02,
  pool_size: 50,
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('parameter counts equal pytorch-CycleGAN-and-pix2pix (ngf = ndf = 64)', () => {
  it.each([
    ['unet_256', 'batch', 54_413_955],
    ['unet_128', 'batch', 41_828_995],
    ['resnet_9blocks', 'instance', 11_378_179],
    ['resnet_6blocks', 'instance', 7_837_699],
  ] as const)('%s with %s norm', (generator, norm, expected) => {
    expect(countParams(generatorFor({ ...base, generator, norm }, 256).specs)).toBe(expected);
  });
  it('PatchGAN n_layers 3 on 6 channels, batch norm', () => {
    expect(countParams(discriminatorFor(base, 6).specs)).toBe(2_768_705);
  });
  it('unet picks its depth from the crop', () => {
    expect(unetDepth(256)).toBe(8);
    expect(countParams(generatorFor({ ...base, generator: 'unet' }, 128).specs)).toBe(41_828_995);
    expect(() => unetDepth(48)).toThrow(/power-of-two/);
  });
});

describe('forward shapes', () => {
  const cases = [
    ['unet', 'batch', 64],
    ['unet', 'instance', 32],
    ['unet', 'none', 32],
    ['resnet_6blocks', 'instance', 32],
    ['resnet_9blocks', 'batch', 24],
  ] as const;
  it.each(cases)('%s (%s) maps [2,s,s,3] (s = %i) to the same shape in [-1,1]', (generator, norm, size) => {
    const g = generatorFor({ ...base, generator, norm, ngf: 4 }, size);
    const p = initParams(g.specs, 1, 0.02);
    const x = tf.randomUniform([2, size, size, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    let seed = 0;
    const y = g.apply(p, x, { dropoutSeed: () => seed++ });
    expect(y.shape).toEqual([2, size, size, 3]);
    expect(tf.max(y).dataSync()[0]).toBeLessThanOrEqual(1);
    tf.dispose([x, y]);
    disposeParams(p);
  });
  it.each([
    [1, 64, [1, 30, 30, 1]],
    [3, 64, [1, 6, 6, 1]],
    [3, 256, [1, 30, 30, 1]],
  ] as const)('PatchGAN n_layers %i on %i^2 gives %j', (nLayers, size, shape) => {
    const d = discriminatorFor({ ...base, ndf: 4, discriminator: { kind: 'patch', n_layers: nLayers } }, 6);
    const p = initParams(d.specs, 1, 0.02);
    const y = tf.tidy(() => d.apply(p, tf.zeros([1, size, size, 6]) as tf.Tensor4D, {}));
    expect(y.shape).toEqual(shape);
    tf.dispose(y);
    disposeParams(p);
  });
  it('PixelGAN keeps the spatial size', () => {
    const d = discriminatorFor({ ...base, ndf: 4, discriminator: { kind: 'pixel', n_layers: 3 } }, 3);
    const p = initParams(d.specs, 1, 0.02);
    const y = d.apply(p, tf.zeros([1, 16, 16, 3]) as tf.Tensor4D, {});
    expect(y.shape).toEqual([1, 16, 16, 1]);
    expect(countParams(d.specs)).toBe(3 * 4 + 4 + 4 * 8 + 2 * 8 + 8 * 1); // conv+bias, conv (no bias under batch norm), gamma/beta, conv
    tf.dispose(y);
    disposeParams(p);
  });
});

describe('init', () => {
  it('is N(0, gain) for weights, N(1, gain) for batch-norm gamma, 0 for biases, and seeded', () => {
    const g = generatorFor({ ...base, generator: 'unet', ngf: 8 }, 32);
    const a = initParams(g.specs, 7, 0.02);
    const b = initParams(g.specs, 7, 0.02);
    const w = a['down1.weight'];
    expect(Math.abs(tf.mean(w).dataSync()[0])).toBeLessThan(0.002);
    expect(tf.sqrt(tf.moments(w).variance).dataSync()[0]).toBeCloseTo(0.02, 2);
    expect(tf.moments(a['downnorm1.weight']).mean.dataSync()[0]).toBeCloseTo(1, 1);
    expect(tf.sum(tf.abs(a['up0.bias'])).dataSync()[0]).toBe(0);
    expect(tf.all(tf.equal(a['down1.weight'], b['down1.weight'])).dataSync()[0]).toBe(1);
    disposeParams(a);
    disposeParams(b);
  });
});

describe('gradients through the composed networks', () => {
  // Central differences on a few weights of tiny networks: checks the layer wiring (skip branches,
  // norms, transposed convs, reflection pads) on top of the engine ops' own gradient tests.
  it.each([
    ['unet', 'batch', 'down1.weight'],
    ['unet', 'instance', 'up2.weight'],
    ['resnet_6blocks', 'instance', 'block0.conv1.weight'],
    ['resnet_6blocks', 'batch', 'up0.weight'],
  ] as const)('%s (%s): d loss / d %s matches finite differences', async (generator, norm, name) => {
    const { registerGradients } = await import('../train/gradients.js');
    await registerGradients();
    const g = generatorFor({ ...base, generator, norm, ngf: 2, dropout: false }, 32);
    const p = initParams(g.specs, 3, 0.5);
    const x = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 4) as tf.Tensor4D;
    const r = tf.randomUniform([2, 32, 32, 3], -1, 1, 'float32', 5);
    const loss = () => tf.sum(tf.mul(g.apply(p, x, {}), r)) as tf.Scalar;
    const { grads } = tf.variableGrads(loss, [p[name] as tf.Variable]);
    const analytic = grads[p[name].name].dataSync();
    const w = p[name] as tf.Variable;
    const values = w.dataSync().slice();
    // Small steps: the tiny nets are very non-linear (ReLU kinks); float32 noise is still below the tolerance.
    const h = 3e-3;
    for (const i of [0, 5, Math.floor(values.length / 2), values.length - 1]) {
      const at = (d: number) => {
        const v = values.slice();
        v[i] += d;
        w.assign(tf.tensor(v, w.shape));
        return tf.tidy(() => loss().dataSync()[0]);
      };
      const numeric = (at(h) - at(-h)) / (2 * h);
      expect(Math.abs(analytic[i] - numeric)).toBeLessThan(0.08 * Math.max(1, Math.abs(numeric)));
    }
    disposeParams(p);
  });
});
