// GANLoss of pytorch-CycleGAN-and-pix2pix: vanilla = BCEWithLogits against all-1/all-0 targets,
// lsgan = MSE against them; both averaged over every patch of the discriminator output. On webgpu one of pipe's
// kernels each way (src/ml/webgpu/mean-loss.ts: the target is a constant, not a tensor of ones or zeros).
import * as tf from '@tensorflow/tfjs-core';
import { isWebgpu } from '../webgpu/kernel.js';
import { meanLossWebgpu } from '../webgpu/mean-loss.js';

export type GanMode = 'vanilla' | 'lsgan';

export function ganLoss(mode: GanMode, prediction: tf.Tensor, targetIsReal: boolean): tf.Scalar {
  if (isWebgpu() && prediction.dtype === 'float32')
    return meanLossWebgpu(mode === 'lsgan' ? 'mse' : 'bce', prediction, targetIsReal ? 1 : 0);
  return tf.tidy(() => {
    const target = targetIsReal ? tf.onesLike(prediction) : tf.zerosLike(prediction);
    return mode === 'lsgan'
      ? tf.mean(tf.squaredDifference(prediction, target))
      : tf.mean(bceWithLogits(prediction, target));
  });
}

/** Numerically stable BCE with logits: max(x,0) - x*t + log(1 + exp(-|x|)). */
function bceWithLogits(x: tf.Tensor, t: tf.Tensor): tf.Tensor {
  return tf.add(tf.sub(tf.relu(x), tf.mul(x, t)), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
}
