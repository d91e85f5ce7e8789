// The tf.customGrad wrapper both normalisation paths share (stock ops in normalize.ts, pipe's WebGPU kernels in
// webgpu/norm.ts): the op's inputs are x and its parameters (gamma and beta, or none; on webgpu also a bias added to
// x first), and its gradient has one tensor per input.
import * as tf from '@tensorflow/tfjs-core';

export type NormForward = (x: tf.Tensor4D, params: tf.Tensor[], save: tf.GradSaveFunc) => tf.Tensor4D;
export type NormBackward = (dy: tf.Tensor4D, saved: tf.Tensor[], params: tf.Tensor[]) => tf.Tensor[];

export function normCustomGrad(
  x: tf.Tensor4D,
  params: tf.Tensor[],
  forward: NormForward,
  backward: NormBackward,
): tf.Tensor4D {
  const op = tf.customGrad((...args: unknown[]) => {
    const [xIn, ...ps] = args.slice(0, -1) as [tf.Tensor4D, ...tf.Tensor[]];
    return {
      value: forward(xIn, ps, args[args.length - 1] as tf.GradSaveFunc),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => backward(dy, saved, ps),
    };
  });
  return op(x, ...params) as tf.Tensor4D;
}
