// Differentiable ops every model and backbone must use instead of calling tf.conv2d & co directly,
// so that the engine can swap in kernels whose gradients are correct and fast on every backend
// (wasm lacks Conv2DBackpropFilter and its MaxPoolGrad is wrong; see DESIGN.md).
// These first versions are the stock tfjs ops; src/ml/ops owns their replacements.
import * as tf from '@tensorflow/tfjs-core';

export type Padding = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

/** NHWC input, HWIO filter. */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, strides: number, pad: 'same' | 'valid' | number, dilation = 1): tf.Tensor4D {
  return tf.conv2d(x, filter, strides, pad as 'same', 'NHWC', dilation);
}

/** Transposed conv (PyTorch ConvTranspose2d semantics); filter HWOI as tf.conv2dTranspose expects. */
export function conv2dTranspose(x: tf.Tensor4D, filter: tf.Tensor4D, outShape: [number, number, number, number], strides: number, pad: 'same' | 'valid' | number): tf.Tensor4D {
  return tf.conv2dTranspose(x, filter, outShape, strides, pad as 'same');
}

export function maxPool(x: tf.Tensor4D, size: number, strides: number, pad: 'same' | 'valid' | number, ceilMode = false): tf.Tensor4D {
  if (ceilMode) throw new Error('maxPool ceilMode not implemented yet');
  return tf.maxPool(x, size, strides, pad as 'same');
}
