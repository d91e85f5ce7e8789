// 2-D convolution whose gradients are forward convolutions (see conv_kernels.ts for why).
import * as tf from '@tensorflow/tfjs-core';
import { filterProduct, forwardProduct, transposedProduct } from './conv_dispatch.js';
import { convGeometry, type Padding } from './geometry.js';
import { withLazyGrads } from './lazy_grad.js';

/**
 * NHWC input, HWIO filter [kh, kw, inC, outC]. `pad`: 'same' | 'valid' | number (every side, as PyTorch) | explicit
 * [[0,0],[top,bottom],[left,right],[0,0]]. Stride and dilation cannot both exceed 1 (as in tf.conv2d).
 */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, strides: number, pad: Padding, dilation = 1): tf.Tensor4D {
  const g = convGeometry(x.shape, filter.shape, strides, pad, dilation, 'conv2d');
  return withLazyGrads([x, filter], (save) => {
    save([x, filter]);
    return {
      value: forwardProduct(x, filter, g, 'forward'),
      grads: [
        (dy, [, fs]) => transposedProduct(dy as tf.Tensor4D, fs as tf.Tensor4D, g, 'backward'),
        (dy, [xs]) => filterProduct(xs as tf.Tensor4D, dy as tf.Tensor4D, g),
      ],
    };
  }) as tf.Tensor4D;
}
