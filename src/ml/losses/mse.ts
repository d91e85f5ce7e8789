// mean (a - b)^2 (nn.MSELoss): the perceptual and style terms' squared feature (Gram) distances. On webgpu one of
// pipe's kernels each way (src/ml/webgpu/mean-loss.ts); elsewhere the stock ops, unchanged.
import * as tf from '@tensorflow/tfjs-core';
import { isWebgpu } from '../webgpu/kernel.js';
import { meanLossWebgpu } from '../webgpu/mean-loss.js';

export function mseLoss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  if (isWebgpu() && a.dtype === 'float32' && b.dtype === 'float32' && tf.util.arraysEqual(a.shape, b.shape))
    return meanLossWebgpu('mse', a, b);
  return tf.tidy(() => tf.mean(tf.squaredDifference(a, b)));
}
