// Issue 13 part 1: with the article's weights (perceptual 10, L1 100) the perceptual term must be of the order of the
// L1 term at step 1 of the quickstart, whichever real weight set is loaded (normalize: auto). Real weights, real
// facades images, the quickstart's model and data settings.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../../../test/shared-paths.js';
import { loadBackbone, type BackboneName, type BackboneWeights } from '../backbones/index.js';
import { initBackend } from '../backend.js';
import type { PreparedSplit } from '../data/types.js';
import { batchSource } from '../train/batches.js';
import { registerGradients } from '../train/gradients.js';
import { createTrainer } from '../train/run.js';
import { trainParams } from '../train/test-params.js';
import { alignedSplit } from '../train/test-split.js';

let facades: PreparedSplit;
beforeAll(async () => {
  await initBackend('wasm');
  await registerGradients();
  // The quickstart: load 72, crop 64, flip, BtoA.
  facades = await alignedSplit(path.join(SHARED_DATA_DIR, 'facades/train'), 8, 72);
});

async function stepOneRatio(
  name: Exclude<BackboneName, 'alexnet'>,
  weights: BackboneWeights,
  layer: string,
  normalize: 'auto' | 'input' | 'none',
) {
  const params = trainParams({
    dataset: { load_size: 72, crop_size: 64, flip: true },
    model: { ngf: 16, ndf: 16 },
    loss: {
      l1: { weight: 100 },
      perceptual: { weight: 10, backbone: name, weights, normalize, layers: { [layer]: 1 } },
    },
  });
  const backbone = await loadBackbone({ name, weights, weightsDir: SHARED_WEIGHTS_DIR, layers: [layer] });
  const trainer = await createTrainer(params, backbone, facades);
  const data = batchSource(facades, { layout: 'aligned', cropSize: 64, flip: true, batchSize: 1, seed: 1 });
  const batch = data.batch(0, 0);
  try {
    const t = await trainer.step(batch, params.train.lr, 0);
    return t.G_perceptual! / t.G_L1!;
  } finally {
    batch.A.dispose();
    batch.B.dispose();
    trainer.dispose();
    backbone.dispose();
  }
}

describe('perceptual / L1 balance at step 1 of the quickstart with the article weights (10, 100)', () => {
  it('is within [0.1, 10] on vgg19/keras (Caffe convention) and squeezenet1_1 (torchvision) with normalize: auto', async () => {
    for (const [name, weights, layer] of [
      ['vgg19', 'keras', 'relu3_3'],
      ['vgg19', 'keras', 'relu2_2'],
      ['squeezenet1_1', 'torchvision', 'fire3'],
      ['squeezenet1_1', 'torchvision', 'fire5'],
    ] as const) {
      const r = await stepOneRatio(name, weights, layer, 'auto');
      expect(r, `${name}/${weights} ${layer}: ${r}`).toBeGreaterThanOrEqual(0.1);
      expect(r, `${name}/${weights} ${layer}: ${r}`).toBeLessThanOrEqual(10);
    }
  });

  it('without normalisation the Caffe weights are the trap the issue describes, and input scaling removes most of it', async () => {
    const raw = await stepOneRatio('vgg19', 'keras', 'relu3_3', 'none');
    const input = await stepOneRatio('vgg19', 'keras', 'relu3_3', 'input');
    expect(raw).toBeGreaterThan(1e4);
    // The input scale divides the squared features by 57.6^2 = 3321 exactly (the loss is multiplied by it).
    expect(raw / input).toBeGreaterThan(3000);
    expect(raw / input).toBeLessThan(3700);
  });
});
