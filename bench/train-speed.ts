import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/ml/backend.js';
import { registerGradients } from '../src/ml/train/gradients.js';
import { createTrainer } from '../src/ml/train/run.js';
import { batchSource } from '../src/ml/train/batches.js';
import { alignedSplit, unalignedSplit } from '../src/ml/train/test-split.js';
const [backend, kind, gen, sizeS, ngfS, stepsS] = process.argv.slice(2);
const size = Number(sizeS), ngf = Number(ngfS), steps = Number(stepsS ?? 3);
const info = await initBackend(backend as any);
await registerGradients();
const params: any = {
  dataset: { layout: kind === 'cyclegan' ? 'unaligned' : 'aligned', direction: 'BtoA', load_size: size, crop_size: size, flip: true },
  model: { kind, generator: gen, discriminator: { kind: 'patch', n_layers: 3 }, norm: kind === 'cyclegan' ? 'instance' : 'batch', ngf, ndf: ngf, dropout: kind !== 'cyclegan', init_gain: 0.02, pool_size: 50 },
  loss: { gan: { mode: kind === 'cyclegan' ? 'lsgan' : 'vanilla', weight: 1 }, l1: { weight: 100 }, cycle: { lambda_A: 10, lambda_B: 10, identity: 0.5 }, perceptual: { weight: 0, backbone: 'vgg19', weights: 'keras', layers: { relu3_3: 1 }, cache_real: false }, style: { weight: 0, layers: {} } },
  train: { epochs: 1, epochs_decay: 0, steps_per_epoch: null, batch_size: 1, lr: 0.0002, beta1: 0.5, beta2: 0.999, seed: 1, checkpoint_every: 1, log_every: 1 },
};
const split = kind === 'cyclegan'
  ? await unalignedSplit('/work/shared/datasets/summer2winter_yosemite/trainA', '/work/shared/datasets/summer2winter_yosemite/trainB', 4, size)
  : await alignedSplit('/work/shared/datasets/facades/train', 4, size);
const tr = createTrainer(params);
const data = batchSource(split, { layout: params.dataset.layout, cropSize: size, flip: true, batchSize: 1, seed: 1 });
const times: number[] = [];
for (let s = 0; s < steps; s++) {
  const b = data.batch(0, s % 4);
  const t0 = performance.now();
  const l = tr.step(b, 0.0002, s);
  times.push((performance.now() - t0) / 1000);
  tf.dispose([b.A, b.B]);
  if (s === steps - 1) console.log(JSON.stringify(l));
}
console.log(`${info.name} ${kind} ${gen} ${size} ngf${ngf}: steps ${times.map((t) => t.toFixed(2)).join(' ')} tensors ${tf.memory().numTensors}`);
