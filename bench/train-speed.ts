// Seconds per training step for one model/size/backend (shared facades / summer2winter images).
//   npx tsx bench/train-speed.ts <backend> <pix2pix|cyclegan> <generator> <size> <ngf> [steps=4] [perceptual layer, e.g. relu3_3]
// The first step (kernel setup) is reported separately from the mean of the rest.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../test/shared-paths.js';
import { initBackend } from '../src/ml/backend.js';
import { loadBackbone } from '../src/ml/backbones/index.js';
import { registerGradients } from '../src/ml/train/gradients.js';
import { createTrainer } from '../src/ml/train/run.js';
import { batchSource } from '../src/ml/train/batches.js';
import { alignedSplit, unalignedSplit } from '../src/ml/train/test-split.js';
import { trainParams } from '../src/ml/train/test-params.js';

const [backend, kind, generator, sizeS, ngfS, stepsS, layer] = process.argv.slice(2);
const size = Number(sizeS),
  ngf = Number(ngfS),
  steps = Number(stepsS ?? 4);
const info = await initBackend(backend as 'wasm');
await registerGradients();
const cyc = kind === 'cyclegan';
const params = trainParams({
  dataset: { layout: cyc ? 'unaligned' : 'aligned', load_size: size, crop_size: size },
  model: {
    kind: cyc ? 'cyclegan' : 'pix2pix',
    generator: generator as 'unet',
    norm: cyc ? 'instance' : 'batch',
    ngf,
    ndf: 64 === ngf ? 64 : ngf,
    dropout: !cyc,
  },
  loss: {
    gan: { mode: cyc ? 'lsgan' : 'vanilla' },
    perceptual: layer ? { weight: 10, backbone: 'vgg19', weights: 'keras', layers: { [layer]: 1 } } : {},
  },
});
const split = cyc
  ? await unalignedSplit(
      path.join(SHARED_DATA_DIR, 'summer2winter_yosemite/trainA'),
      path.join(SHARED_DATA_DIR, 'summer2winter_yosemite/trainB'),
      4,
      size,
    )
  : await alignedSplit(path.join(SHARED_DATA_DIR, 'facades/train'), 4, size);
const extractor = layer
  ? await loadBackbone({ name: 'vgg19', weights: 'keras', weightsDir: SHARED_WEIGHTS_DIR, layers: [layer] })
  : undefined;
const data = batchSource(split, { layout: params.dataset.layout, cropSize: size, flip: true, batchSize: 1, seed: 1 });
const first = data.batch(0, 0); // normalize: auto's feature scale from the first targets, as in a run
const trainer = await createTrainer(params, extractor, first.B);
tf.dispose([first.A, first.B]);
const times: number[] = [];
for (let s = 0; s < steps; s++) {
  const b = data.batch(0, s % 4);
  const t0 = performance.now();
  await trainer.step(b, 0.0002, s);
  times.push((performance.now() - t0) / 1000);
  tf.dispose([b.A, b.B]);
  console.error(`  step ${s + 1}: ${times[s].toFixed(2)} s`);
}
const rest = times.slice(1);
console.log(
  `${info.name} ${kind} ${generator}${layer ? `+vgg19/${layer}` : ''} ${size}px ngf${ngf}: first ${times[0].toFixed(2)} s, then ${(rest.reduce((a, b) => a + b, 0) / rest.length).toFixed(3)} s/step (${rest.map((t) => t.toFixed(2)).join(' ')})`,
);
