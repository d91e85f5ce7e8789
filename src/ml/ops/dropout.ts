// Dropout for the models (pix2pix's U-Net, ResNet blocks with use_dropout). On webgpu the mask and scale are one of
// pipe's kernels each way (src/ml/webgpu/dropout.ts) over the same uniform noise as tf.dropout, so the same bits;
// elsewhere it is tf.dropout.
import * as tf from '@tensorflow/tfjs-core';
import { dropoutWebgpu } from '../webgpu/dropout.js';
import { isWebgpu } from '../webgpu/kernel.js';

/** tf.dropout(x, rate, x's shape, seed): each element kept with probability 1 - rate and scaled by 1 / (1 - rate). */
export function dropout<T extends tf.Tensor>(x: T, rate: number, seed: number): T {
  if (!isWebgpu() || x.dtype !== 'float32' || rate === 0) return tf.dropout(x, rate, undefined, seed) as T;
  const keep = 1 - rate;
  const op = tf.customGrad((xIn, save) => {
    // tf.dropout's own draw (randomUniform over x's shape with the seed), so the mask does not depend on the backend.
    const noise = tf.randomUniform((xIn as tf.Tensor).shape, 0, 1, 'float32', seed);
    (save as tf.GradSaveFunc)([noise]);
    return {
      value: dropoutWebgpu(xIn as tf.Tensor, noise, keep),
      gradFunc: (dy: tf.Tensor, [kept]: tf.Tensor[]) => dropoutWebgpu(dy, kept!, keep),
    };
  });
  return op(x) as T;
}
