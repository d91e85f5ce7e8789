// mean |a - b| (nn.L1Loss): pix2pix's lambda_L1 term and CycleGAN's cycle / identity terms. On webgpu one of pipe's
// kernels each way (src/ml/webgpu/mean-loss.ts).
import * as tf from '@tensorflow/tfjs-core';
import { isWebgpu } from '../webgpu/kernel.js';
import { meanLossWebgpu } from '../webgpu/mean-loss.js';

export function l1Loss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  if (isWebgpu() && a.dtype === 'float32' && b.dtype === 'float32' && tf.util.arraysEqual(a.shape, b.shape))
    return meanLossWebgpu('l1', a, b);
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))));
}
