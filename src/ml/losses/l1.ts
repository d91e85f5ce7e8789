// mean |a - b| (nn.L1Loss): pix2pix's lambda_L1 term and CycleGAN's cycle / identity terms.
import * as tf from '@tensorflow/tfjs-core';

export function l1Loss(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b))));
}
