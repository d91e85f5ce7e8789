// y + bias over the channel (last) axis, for conv layers. On webgpu the bias gradient is one of pipe's kernels
// (src/ml/webgpu/bias.ts); elsewhere this is tf.add, unchanged.
import * as tf from '@tensorflow/tfjs-core';
import { channelSumWebgpu } from '../webgpu/bias.js';
import { isWebgpu } from '../webgpu/kernel.js';

export function biasAdd<T extends tf.Tensor>(y: T, bias: tf.Tensor): T {
  const c = y.shape[y.rank - 1];
  if (bias.rank !== 1 || bias.shape[0] !== c) {
    throw new Error(`biasAdd: bias must have shape [${c}], got [${bias.shape.join(', ')}]`);
  }
  if (!isWebgpu() || y.dtype !== 'float32' || c > 65535) return tf.add(y, bias) as T;
  const op = tf.customGrad((yIn, bIn) => ({
    value: tf.add(yIn as tf.Tensor, bIn as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => [dy, channelSumWebgpu(dy)],
  }));
  return op(y, bias) as T;
}
