import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from './adam.js';
import { ImagePool } from './pool.js';
import { stepRng } from './rng.js';
import { lrFactor } from './schedule.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('Adam', () => {
  it('follows torch.optim.Adam step by step (bias-corrected, eps outside the sqrt)', () => {
    const p = { w: tf.variable(tf.tensor1d([1, -2, 0.5])) };
    const adam = new Adam(p, { beta1: 0.5, beta2: 0.999 });
    // Reference recurrence written out in plain numbers.
    const w = [1, -2, 0.5],
      m = [0, 0, 0],
      v = [0, 0, 0];
    const grads = [
      [0.1, -0.3, 2],
      [0.2, 0.1, -1],
      [-0.5, 0.4, 0.3],
    ];
    grads.forEach((g, i) => {
      const t = i + 1;
      adam.step({ w: tf.tensor1d(g) }, 0.01);
      for (let k = 0; k < 3; k++) {
        m[k] = 0.5 * m[k] + 0.5 * g[k];
        v[k] = 0.999 * v[k] + 0.001 * g[k] ** 2;
        w[k] -= ((0.01 / (1 - 0.5 ** t)) * m[k]) / (Math.sqrt(v[k]) / Math.sqrt(1 - 0.999 ** t) + 1e-8);
      }
    });
    Array.from(p.w.dataSync()).forEach((x, k) => expect(x).toBeCloseTo(w[k], 6));
    expect(adam.t).toBe(3);
    expect(Object.keys(adam.stateTensors('opt/'))).toEqual(['opt/m/w', 'opt/v/w']);
  });
  it('names an unknown gradient', () => {
    const adam = new Adam({ w: tf.variable(tf.zeros([1])) }, { beta1: 0.5, beta2: 0.999 });
    expect(() => adam.step({ q: tf.zeros([1]) }, 0.1)).toThrow(/"q"/);
  });
});

describe('linear LR policy', () => {
  it('is constant for `epochs`, then falls linearly (reference lambda_rule, epoch_count 1)', () => {
    expect([0, 1, 99].map((e) => lrFactor(e, 100, 100))).toEqual([1, 1, 1]);
    expect(lrFactor(100, 100, 100)).toBeCloseTo(1 - 1 / 101);
    expect(lrFactor(199, 100, 100)).toBeCloseTo(1 / 101);
    expect(lrFactor(0, 0, 1)).toBe(0.5);
  });
});

describe('ImagePool', () => {
  const img = (v: number) => tf.fill([1, 2, 2, 3], v) as tf.Tensor4D;
  it('returns images unchanged until full, then swaps half of the time, without leaking tensors', () => {
    const pool = new ImagePool(2);
    const rng = stepRng(1, 'pool', 0);
    const first = pool.query(img(1), rng);
    pool.query(img(2), rng).dispose();
    expect(first.dataSync()[0]).toBe(1);
    expect(pool.images).toHaveLength(2);
    const before = tf.memory().numTensors;
    const seen = new Set<number>();
    for (let i = 3; i < 23; i++) {
      const x = img(i);
      const y = pool.query(x, rng);
      seen.add(y.dataSync()[0] === i ? 0 : 1); // 1: a history image came back
      tf.dispose([x, y]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(seen).toEqual(new Set([0, 1]));
    expect(pool.images).toHaveLength(2);
    pool.dispose();
  });
  it('size 0 passes images through', () => {
    const pool = new ImagePool(0);
    const x = img(5);
    const y = pool.query(x, stepRng(1, 'pool', 0));
    expect(y.dataSync()[0]).toBe(5);
    expect(pool.images).toHaveLength(0);
  });
});
