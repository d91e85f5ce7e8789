// The tf.customGrad wrapper both normalisation paths share (stock ops in normalize.ts, pipe's WebGPU kernels in
// webgpu/norm.ts): with gamma and beta the op has three inputs and its gradient three outputs, without them one.
import * as tf from '@tensorflow/tfjs-core';

export type NormForward = (
  x: tf.Tensor4D,
  gamma: tf.Tensor | undefined,
  beta: tf.Tensor | undefined,
  save: tf.GradSaveFunc,
) => tf.Tensor4D;
export type NormBackward = (dy: tf.Tensor4D, saved: tf.Tensor[], gamma: tf.Tensor | undefined) => tf.Tensor[];

export function normCustomGrad(
  x: tf.Tensor4D,
  gamma: tf.Tensor | undefined,
  beta: tf.Tensor | undefined,
  forward: NormForward,
  backward: NormBackward,
): tf.Tensor4D {
  if (gamma !== undefined && beta !== undefined) {
    const op = tf.customGrad((xIn, gIn, bIn, save) => ({
      value: forward(xIn as tf.Tensor4D, gIn as tf.Tensor, bIn as tf.Tensor, save as tf.GradSaveFunc),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => backward(dy, saved, gIn as tf.Tensor),
    }));
    return op(x, gamma, beta) as tf.Tensor4D;
  }
  const op = tf.customGrad((xIn, save) => ({
    value: forward(xIn as tf.Tensor4D, undefined, undefined, save as tf.GradSaveFunc),
    gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => backward(dy, saved, undefined),
  }));
  return op(x) as tf.Tensor4D;
}
