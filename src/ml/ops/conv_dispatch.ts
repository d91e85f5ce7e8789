// The three convolution products (forward, transposed, filter gradient), each in the form that is faster for
// the layer's geometry: a matrix product for big filters on few pixels, a convolution kernel otherwise.
// conv2d and conv2dTranspose are each other's adjoints, so both build their value and gradients from these.
// On webgpu each product is one of pipe's implicit-GEMM kernels (src/ml/webgpu/conv.ts).
import type * as tf from '@tensorflow/tfjs-core';
import { filterGrad, forwardConv, transposedConv } from './conv_kernels.js';
import {
  gemmFilterGrad,
  gemmForFilter,
  gemmForForward,
  gemmForTransposed,
  gemmForwardConv,
  gemmTransposedConv,
} from './gemm_kernels.js';
import type { ConvGeometry } from './geometry.js';
import {
  convFitsWebgpu,
  filterGradWebgpu,
  forwardConvWebgpu,
  inputGradWebgpu,
  type ProductOptions,
} from '../webgpu/conv.js';
import { f16InUse } from '../webgpu/f16.js';
import { isWebgpu } from '../webgpu/kernel.js';

const ownKernels = (t: tf.Tensor, g: ConvGeometry) => isWebgpu() && t.dtype === 'float32' && convFitsWebgpu(g);

/**
 * Which pass a product serves. Forward passes may take f16 operands on webgpu (PIPE_WEBGPU_F16=1, webgpu/f16.ts);
 * backward passes, whose operands include gradients, stay f32.
 */
export type Pass = 'forward' | 'backward';

const options = (pass: Pass): ProductOptions => ({ tiles: pass === 'forward' && f16InUse() ? 'f16' : 'f32' });

export function forwardProduct(x: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry, pass: Pass): tf.Tensor4D {
  if (ownKernels(x, g)) return forwardConvWebgpu(x, filter, g, options(pass));
  return gemmForForward(g) ? gemmForwardConv(x, filter, g) : forwardConv(x, filter, g);
}

export function transposedProduct(dy: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry, pass: Pass): tf.Tensor4D {
  if (ownKernels(dy, g)) return inputGradWebgpu(dy, filter, g, options(pass));
  return gemmForTransposed(g) ? gemmTransposedConv(dy, filter, g) : transposedConv(dy, filter, g);
}

/** Gradient of forwardProduct with respect to its filter. */
export function filterProduct(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  if (ownKernels(x, g)) return filterGradWebgpu(x, dy, g);
  return gemmForFilter(g) ? gemmFilterGrad(x, dy, g) : filterGrad(x, dy, g);
}

/** conv2dTranspose's filter gradient: filterGrad (conv_kernels.ts) on cpu/wasm, pipe's kernel on webgpu. */
export function transposeFilterProduct(dy: tf.Tensor4D, x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return ownKernels(dy, g) ? filterGradWebgpu(dy, x, g) : filterGrad(dy, x, g);
}
