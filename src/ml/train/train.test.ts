import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../../../test/shared-paths.js';
import { loadBackbone } from '../backbones/index.js';
import { initBackend } from '../backend.js';
import type { PreparedSplit } from '../data/types.js';
import { readTensors } from '../models/tensor-file.js';
import { batchSource } from './batches.js';
import { loadGenerators } from './generators.js';
import { registerGradients } from './gradients.js';
import { createTrainer, trainModel } from './run.js';
import { alignedSplit, unalignedSplit } from './test-split.js';
import { trainParams } from './test-params.js';

// wasm: the cpu backend's filter gradients are ~20x slower, too slow for a test budget.
let facades: PreparedSplit;
let seasons: PreparedSplit;
let tmp: string;
beforeAll(async () => {
  await initBackend('wasm');
  await registerGradients();
  facades = await alignedSplit(path.join(SHARED_DATA_DIR, 'facades/train'), 8, 64);
  seasons = await unalignedSplit(
    path.join(SHARED_DATA_DIR, 'summer2winter_yosemite/trainA'),
    path.join(SHARED_DATA_DIR, 'summer2winter_yosemite/trainB'),
    4,
    64,
  );
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-train-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const dirs = async (name: string) => {
  const work = path.join(tmp, name, 'work');
  const out = path.join(tmp, name, 'out');
  await fs.mkdir(out, { recursive: true });
  return { workDir: work, outDir: out };
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('pix2pix on facades', () => {
  it('20 steps on 8 images at 64x64 reduce the L1 term and publish loadable generators', async () => {
    const params = trainParams({
      model: { ngf: 16, ndf: 16 },
      train: { epochs: 2, steps_per_epoch: 10, checkpoint_every: 1 },
    });
    const d = await dirs('pix2pix');
    const progress: number[] = [];
    const r = await trainModel({ params, split: facades, ...d, progress: (p) => progress.push(p.step ?? 0) });
    expect(r.steps).toBe(20);
    const l1 = r.lossHistory.map((x) => x.L1);
    expect(l1).toHaveLength(20);
    // Per-image L1 is noisy; the training runs are deterministic, so this margin does not flake.
    expect(mean(l1.slice(-5))).toBeLessThan(0.95 * mean(l1.slice(0, 5)));
    expect(progress.at(-1)).toBe(20);

    const lines = (await fs.readFile(path.join(d.outDir, 'losses.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(20);
    expect(Object.keys(lines[0])).toEqual(
      expect.arrayContaining(['step', 'epoch', 'lr', 'G_GAN', 'G_L1', 'D_real', 'D_fake']),
    );
    expect((await fs.readdir(path.join(d.outDir, 'samples'))).sort()).toEqual(['epoch-0001.png', 'epoch-0002.png']);

    const g = await loadGenerators(d.outDir);
    expect(g.BtoA).toBeUndefined();
    const x = tf.sub(tf.div(tf.tensor4d(facades.A.get(0), [1, 64, 64, 3]), 127.5), 1) as tf.Tensor4D;
    const y = g.AtoB.predict(x);
    expect(y.shape).toEqual([1, 64, 64, 3]);
    expect(g.AtoB.parameterCount).toBe(r.paramCounts.G);
    tf.dispose([x, y]);
    g.dispose();
  });
});

describe('CycleGAN on summer2winter', () => {
  it('trains a few steps and publishes both generators', async () => {
    const params = trainParams({
      dataset: { layout: 'unaligned' },
      model: { kind: 'cyclegan', generator: 'resnet_6blocks', norm: 'instance', ngf: 8, ndf: 8, dropout: false },
      loss: { gan: { mode: 'lsgan' } },
      train: { steps_per_epoch: 3 },
    });
    const d = await dirs('cyclegan');
    const r = await trainModel({ params, split: seasons, ...d });
    expect(r.steps).toBe(3);
    for (const k of ['G_A', 'G_B', 'cycle_A', 'cycle_B', 'idt_A', 'idt_B', 'D_A_real', 'D_B_fake'])
      expect(Number.isFinite(r.finalLosses[k])).toBe(true);
    const g = await loadGenerators(d.outDir, { dropout: false });
    const x = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
    const y = g.BtoA!.predict(x);
    expect(y.shape).toEqual([1, 64, 64, 3]);
    tf.dispose([x, y]);
    g.dispose();
  });
});

describe('checkpoints', () => {
  it.each([
    ['pix2pix', trainParams({ dataset: { crop_size: 32, load_size: 36 }, model: { ngf: 4, ndf: 4 } })],
    [
      'cyclegan',
      trainParams({
        dataset: { crop_size: 32, load_size: 36, layout: 'unaligned' },
        model: { kind: 'cyclegan', generator: 'resnet_6blocks', norm: 'instance', ngf: 4, ndf: 4, pool_size: 3 },
      }),
    ],
  ])('%s: interrupted and resumed ends with the same weights as uninterrupted', async (name, base) => {
    const params = {
      ...base,
      train: { ...base.train, epochs: 2, epochs_decay: 1, steps_per_epoch: 2, checkpoint_every: 1 },
    };
    const split = name === 'cyclegan' ? seasons : facades;
    const whole = await dirs(`${name}-whole`);
    await trainModel({ params, split, ...whole });
    const parts = await dirs(`${name}-parts`);
    const first = await trainModel({ params, split, ...parts, stopAfterEpochs: 2 });
    expect(first.epochs).toBe(2);
    await expect(fs.access(path.join(parts.outDir, 'weights.json'))).rejects.toThrow();
    const second = await trainModel({ params, split, ...parts });
    expect(second.resumedFromEpoch).toBe(2);
    expect(second.steps).toBe(6);

    const a = await readTensors(whole.outDir, 'weights');
    const b = await readTensors(parts.outDir, 'weights');
    expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort());
    for (const k of Object.keys(a.tensors))
      expect(Array.from(b.tensors[k].dataSync()), k).toEqual(Array.from(a.tensors[k].dataSync()));
    const la = await fs.readFile(path.join(whole.outDir, 'losses.jsonl'), 'utf8');
    expect(await fs.readFile(path.join(parts.outDir, 'losses.jsonl'), 'utf8')).toBe(la);
    tf.dispose([...Object.values(a.tensors), ...Object.values(b.tensors)]);
  });
});

describe('perceptual cache_real', () => {
  it('trains exactly as recomputing phi(real) every step (no crop, no flip)', async () => {
    const backbone = await loadBackbone({
      name: 'vgg19',
      weights: 'keras',
      weightsDir: SHARED_WEIGHTS_DIR,
      layers: ['relu2_2'],
    });
    const split = await alignedSplit(path.join(SHARED_DATA_DIR, 'facades/train'), 2, 32);
    const run = async (cache: boolean) => {
      const params = trainParams({
        dataset: { crop_size: 32, load_size: 32, flip: false },
        model: { ngf: 4, ndf: 4 },
        loss: {
          perceptual: { weight: 1e-4, backbone: 'vgg19', weights: 'keras', layers: { relu2_2: 1 }, cache_real: cache },
        },
        train: { steps_per_epoch: 4 },
      });
      return (await trainModel({ params, split, extractor: backbone, ...(await dirs(`cache-${cache}`)) })).lossHistory;
    };
    const plain = await run(false);
    const cached = await run(true);
    expect(cached.map((r) => r.G_perceptual)).toEqual(plain.map((r) => r.G_perceptual));
    expect(plain[0].G_perceptual).toBeGreaterThan(0);
    backbone.dispose();
  });
});

describe('parameter updates', () => {
  it('are seen by the next forward pass (no stale backend weight caches)', async () => {
    const params = trainParams({
      dataset: { crop_size: 32, load_size: 36 },
      model: { ngf: 4, ndf: 4, dropout: false },
    });
    const trainer = await createTrainer(params);
    const data = batchSource(facades, { layout: 'aligned', cropSize: 32, flip: false, batchSize: 1, seed: 1 });
    const g = trainer.nets.nets.G;
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
    for (let s = 0; s < 3; s++) {
      const b = data.batch(0, s);
      await trainer.step(b, 0.01, s);
      tf.dispose([b.A, b.B]);
    }
    const diff = tf.tidy(() => {
      const copies = Object.fromEntries(Object.entries(g.params).map(([k, v]) => [k, tf.add(v, 0)]));
      return tf.max(tf.abs(tf.sub(g.layer.apply(g.params, x, {}), g.layer.apply(copies, x, {})))).dataSync()[0];
    });
    expect(diff).toBe(0);
    tf.dispose(x);
    trainer.dispose();
  });
});

describe('memory', () => {
  it.each([
    ['pix2pix', trainParams({ dataset: { crop_size: 32, load_size: 36 }, model: { ngf: 4, ndf: 4 } }), () => facades],
    [
      'cyclegan',
      trainParams({
        dataset: { crop_size: 16, load_size: 64, layout: 'unaligned' },
        model: {
          kind: 'cyclegan',
          generator: 'resnet_6blocks',
          norm: 'instance',
          ngf: 4,
          ndf: 4,
          pool_size: 2,
          discriminator: { n_layers: 1 },
        },
      }),
      () => seasons,
    ],
  ])('%s: the tensor count is the same after step 3 and step 30', async (_name, params, split) => {
    const trainer = await createTrainer(params);
    const data = batchSource(split(), {
      layout: params.dataset.layout,
      cropSize: params.dataset.crop_size,
      flip: true,
      batchSize: 1,
      seed: 1,
    });
    const counts: number[] = [];
    for (let s = 0; s < 30; s++) {
      const b = data.batch(0, s);
      await trainer.step(b, 0.0002, s);
      tf.dispose([b.A, b.B]);
      counts.push(tf.memory().numTensors);
    }
    expect(counts[29]).toBe(counts[2]);
    trainer.dispose();
  });
});
