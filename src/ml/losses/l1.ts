// mean |a - b| (nn.L1Loss): pix2pix's lambda_L1 term and CycleGAN's cycle / identity terms. On webgpu one of pipe's
// kernels each way (src/ml/webgpu/l1.ts).
import * as tf from '@tensorflow/tfjs-core';
import { isWebgpu } from '../webgpu/kernel.js';
import { l1LossWebgpu } from '../webgpu/l1.js';

export function l1Loss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  if (isWebgpu() && a.dtype === 'float32' && b.dtype === 'float32' && tf.util.arraysEqual(a.shape, b.shape))
    return l1LossWebgpu(a, b);
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))));
}
