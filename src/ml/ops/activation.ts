// ReLU and LeakyReLU for the models. On webgpu the gradient is one of pipe's kernels (src/ml/webgpu/activation.ts);
// on wasm LeakyReLU goes through XNNPACK's PReLU; elsewhere these are the stock ops, unchanged.
import * as tf from '@tensorflow/tfjs-core';
import { leakyReluGradWebgpu } from '../webgpu/activation.js';
import { concatReluGradWebgpu, concatReluWebgpu } from '../webgpu/concat-relu.js';
import { isWebgpu } from '../webgpu/kernel.js';

/**
 * LeakyReLU on wasm as XNNPACK's PReLU with the slope in every channel, and its gradient as dy * step(x, alpha).
 * The stock LeakyRelu kernel is a scalar loop (5.3 ms on [1,128,128,64] against 0.4 ms for PReLU) and its gradient
 * is Greater + Select + Multiply (5.8 ms against 1.0 ms). Same float32 products, so the same bits (tested); only a
 * NaN input differs: its gradient is NaN here, alpha * dy in the stock one.
 */
function leakyReluWasm<T extends tf.Tensor>(x: T, alpha: number): T {
  const op = tf.customGrad((xIn, save) => {
    const xt = xIn as tf.Tensor;
    (save as tf.GradSaveFunc)([xt]);
    const slope = tf.fill([xt.shape[xt.rank - 1] ?? 1], alpha);
    return {
      value: tf.prelu(xt, slope),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.tidy(() => tf.mul(dy, tf.step(saved[0]!, alpha))),
    };
  });
  return op(x) as T;
}

/** max(x, 0) (alpha 0) or LeakyReLU with slope alpha below 0. */
export function leakyRelu<T extends tf.Tensor>(x: T, alpha: number): T {
  if (alpha !== 0 && x.rank > 0 && x.dtype === 'float32' && tf.getBackend() === 'wasm') return leakyReluWasm(x, alpha);
  if (!isWebgpu() || x.dtype !== 'float32') return (alpha === 0 ? tf.relu(x) : tf.leakyRelu(x, alpha)) as T;
  const op = tf.customGrad((xIn, save) => {
    (save as tf.GradSaveFunc)([xIn as tf.Tensor]);
    return {
      value: alpha === 0 ? tf.relu(xIn as tf.Tensor) : tf.leakyRelu(xIn as tf.Tensor, alpha),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => leakyReluGradWebgpu(dy, saved[0]!, alpha),
    };
  });
  return op(x) as T;
}

export const relu = <T extends tf.Tensor>(x: T): T => leakyRelu(x, 0);

/**
 * relu(concat([a, b], last axis)) (the U-Net's skip joins). On webgpu one dispatch each way; elsewhere tf.concat then
 * relu, the same ops as one after the other.
 */
export function concatRelu<T extends tf.Tensor>(a: T, b: T): T {
  const axis = a.rank - 1;
  const fits = a.rank === b.rank && tf.util.arraysEqual(a.shape.slice(0, axis), b.shape.slice(0, axis));
  if (!isWebgpu() || a.dtype !== 'float32' || b.dtype !== 'float32' || !fits) return relu(tf.concat([a, b], axis)) as T;
  const op = tf.customGrad((aIn, bIn, save) => {
    const y = concatReluWebgpu(aIn as tf.Tensor, bIn as tf.Tensor);
    (save as tf.GradSaveFunc)([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, [out]: tf.Tensor[]) => concatReluGradWebgpu(dy, out!, a.shape, b.shape),
    };
  });
  return op(a, b) as T;
}
