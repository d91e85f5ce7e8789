// y + bias over the channel (last) axis, for conv layers. On webgpu the bias gradient is one of pipe's kernels
// (src/ml/webgpu/bias.ts); elsewhere this is tf.add, unchanged.
import * as tf from '@tensorflow/tfjs-core';
import { leakyReluGradWebgpu } from '../webgpu/activation.js';
import { channelSumWebgpu } from '../webgpu/bias.js';
import { biasActWebgpu, tanhGradWebgpu, type BiasActKind } from '../webgpu/bias-act.js';
import { isWebgpu } from '../webgpu/kernel.js';
import { leakyRelu } from './activation.js';

function checkBias(y: tf.Tensor, bias: tf.Tensor): void {
  const c = y.shape[y.rank - 1];
  if (bias.rank !== 1 || bias.shape[0] !== c) {
    throw new Error(`biasAdd: bias must have shape [${c}], got [${bias.shape.join(', ')}]`);
  }
}

/** Whether pipe's kernels take this bias add (the channel sum runs one workgroup per channel: at most 65535). */
const ownKernels = (y: tf.Tensor) => isWebgpu() && y.dtype === 'float32' && y.shape[y.rank - 1]! <= 65535;

export function biasAdd<T extends tf.Tensor>(y: T, bias: tf.Tensor): T {
  checkBias(y, bias);
  if (!ownKernels(y)) return tf.add(y, bias) as T;
  const op = tf.customGrad((yIn, bIn) => ({
    value: tf.add(yIn as tf.Tensor, bIn as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => [dy, channelSumWebgpu(dy)],
  }));
  return op(y, bias) as T;
}

export type { BiasActKind };

/**
 * act(y + bias): LeakyReLU (alpha 0: ReLU) or tanh. On webgpu one dispatch forward, and backward the activation's
 * gradient then the bias's channel sum; elsewhere biasAdd then leakyRelu / tf.tanh, the same ops as one after the other.
 */
export function biasAct<T extends tf.Tensor>(y: T, bias: tf.Tensor, act: BiasActKind): T {
  checkBias(y, bias);
  if (!ownKernels(y)) {
    const z = biasAdd(y, bias);
    return (act.kind === 'tanh' ? tf.tanh(z) : leakyRelu(z, act.alpha)) as T;
  }
  const op = tf.customGrad((yIn, bIn, save) => {
    const out = biasActWebgpu(yIn as tf.Tensor, bIn as tf.Tensor, act);
    (save as tf.GradSaveFunc)([out]);
    const gradFunc = (dy: tf.Tensor, [o]: tf.Tensor[]) => {
      // LeakyReLU's output is > 0 exactly where its input is, so its gradient can be taken from the output.
      const dz = act.kind === 'tanh' ? tanhGradWebgpu(dy, o!) : leakyReluGradWebgpu(dy, o!, act.alpha);
      return [dz, channelSumWebgpu(dz)];
    };
    return { value: out, gradFunc };
  });
  return op(y, bias) as T;
}

/**
 * relu(y + bias) for a constant bias (a pretrained backbone's: VGG, SqueezeNet, LPIPS), whose gradient is never
 * wanted. On webgpu one dispatch forward and the ReLU's gradient in one backward (stock: Add and Relu, then Step and
 * Multiply); elsewhere tf.relu(tf.add(y, bias)).
 */
export function frozenBiasRelu<T extends tf.Tensor>(y: T, bias: tf.Tensor): T {
  checkBias(y, bias);
  if (!ownKernels(y)) return tf.relu(tf.add(y, bias)) as T;
  const op = tf.customGrad((yIn, save) => {
    const out = biasActWebgpu(yIn as tf.Tensor, bias, { kind: 'leaky', alpha: 0 });
    (save as tf.GradSaveFunc)([out]);
    // The output is > 0 exactly where the sum is: the ReLU's gradient is taken from it.
    return { value: out, gradFunc: (dy: tf.Tensor, [o]: tf.Tensor[]) => leakyReluGradWebgpu(dy, o!, 0) };
  });
  return op(y) as T;
}
