// Dispatches per training step on webgpu for the small test configs (trainParams: pix2pix U-Net with batch norm, or
// CycleGAN resnet_9blocks with instance norm, pool 2), with the per-program breakdown of the third step and its
// losses, and pipe's buffer-to-buffer copies (the fused Adam's). PIPE_WEBGPU_KERNELS=stock counts tfjs's own kernels instead of pipe's.
//   node --import tsx bench/gpu/count-dispatches.ts <pix2pix|cyclegan> <size> <ngf>
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/ml/backend.js';
import { createTrainer } from '../../src/ml/train/run.js';
import { trainParams } from '../../src/ml/train/test-params.js';
import { countDispatches } from '../../src/ml/webgpu/dispatches.js';

const [kind = 'pix2pix', sizeS = '32', ngfS = '8'] = process.argv.slice(2);
const size = Number(sizeS);
const ngf = Number(ngfS);
await initBackend('webgpu');
const params =
  kind === 'cyclegan'
    ? trainParams({
        dataset: { crop_size: size, load_size: size, layout: 'unaligned' },
        model: { kind: 'cyclegan', generator: 'resnet_9blocks', norm: 'instance', ngf, ndf: ngf, pool_size: 2 },
        loss: { gan: { mode: 'lsgan' } },
      })
    : trainParams({ dataset: { crop_size: size, load_size: size }, model: { ngf, ndf: ngf } });
const trainer = await createTrainer(params);
for (let s = 0; s < 3; s++) {
  const A = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', s) as tf.Tensor4D;
  const B = tf.randomUniform([1, size, size, 3], -1, 1, 'float32', s + 9) as tf.Tensor4D;
  const t0 = performance.now();
  const { result, dispatches } = await countDispatches(() => trainer.step({ A, B }, 2e-4, s));
  console.log(
    JSON.stringify({
      step: s + 1,
      ms: Math.round(performance.now() - t0),
      dispatches: dispatches.total,
      copies: dispatches.copies,
      losses: result,
    }),
  );
  if (s === 2) console.log(JSON.stringify(dispatches.byProgram));
  tf.dispose([A, B]);
}
trainer.dispose();
