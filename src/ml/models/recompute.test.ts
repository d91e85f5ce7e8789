// train.recompute must not change results: the same losses and the same weights after a few steps, with and without
// activation recomputation (small shapes; pix2pix U-Net with dropout + batch norm, CycleGAN ResNet with instance norm).
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA_DIR } from '../../../test/shared-paths.js';
import { initBackend } from '../backend.js';
import type { PreparedSplit } from '../data/types.js';
import { batchSource } from '../train/batches.js';
import { registerGradients } from '../train/gradients.js';
import { createTrainer } from '../train/run.js';
import { trainParams } from '../train/test-params.js';
import { alignedSplit, unalignedSplit } from '../train/test-split.js';

let facades: PreparedSplit;
let seasons: PreparedSplit;
beforeAll(async () => {
  await initBackend('wasm');
  await registerGradients();
  facades = await alignedSplit(path.join(SHARED_DATA_DIR, 'facades/train'), 3, 32);
  seasons = await unalignedSplit(
    path.join(SHARED_DATA_DIR, 'summer2winter_yosemite/trainA'),
    path.join(SHARED_DATA_DIR, 'summer2winter_yosemite/trainB'),
    3,
    32,
  );
});

type Overrides = Parameters<typeof trainParams>[0];

async function train(o: Overrides, split: PreparedSplit, recompute: boolean) {
  const params = trainParams({ ...o, train: { ...o!.train, recompute } });
  const trainer = await createTrainer(params);
  const layout = params.model.kind === 'cyclegan' ? 'unaligned' : 'aligned';
  const data = batchSource(split, { layout, cropSize: 32, flip: true, batchSize: 1, seed: 3 });
  const losses: Record<string, number>[] = [];
  const tensors: number[] = [];
  for (let i = 0; i < 3; i++) {
    const b = data.batch(0, i);
    losses.push(await trainer.step(b, 0.0002, i));
    tf.dispose([b.A, b.B]);
    tensors.push(tf.memory().numTensors);
  }
  const weights: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(trainer.nets.stateTensors())) weights[k] = v.dataSync() as Float32Array;
  trainer.dispose();
  return { losses, weights, tensors };
}

function expectSame(a: Awaited<ReturnType<typeof train>>, b: Awaited<ReturnType<typeof train>>) {
  a.losses.forEach((l, i) => {
    for (const k of Object.keys(l)) expect(b.losses[i]![k], `step ${i} ${k}`).toBeCloseTo(l[k]!, 5);
  });
  expect(Object.keys(b.weights)).toEqual(Object.keys(a.weights));
  for (const [k, w] of Object.entries(a.weights)) {
    const v = b.weights[k]!;
    let max = 0;
    for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(w[i]! - v[i]!));
    expect(max, k).toBeLessThan(1e-6);
  }
}

describe('train.recompute', () => {
  it('pix2pix U-Net (dropout, batch norm): same losses and weights after 3 steps', async () => {
    const o: Overrides = { model: { ngf: 4, ndf: 4 }, dataset: { load_size: 32, crop_size: 32 }, train: {} };
    const plain = await train(o, facades, false);
    const ck = await train(o, facades, true);
    expectSame(plain, ck);
    // Nothing leaks: the recomputation's tensors are freed in the backward pass.
    expect(ck.tensors[2]).toBe(ck.tensors[0]);
  });

  it('CycleGAN ResNet (instance norm, LSGAN): same losses and weights after 3 steps', async () => {
    const o: Overrides = {
      dataset: { layout: 'unaligned', load_size: 32, crop_size: 32 },
      model: { kind: 'cyclegan', generator: 'resnet_6blocks', norm: 'instance', ngf: 4, ndf: 4, dropout: true },
      loss: { gan: { mode: 'lsgan' } },
      train: {},
    };
    expectSame(await train(o, seasons, false), await train(o, seasons, true));
  });
});
