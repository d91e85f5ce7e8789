// 2-D convolution whose gradients are forward convolutions (see conv_kernels.ts for why).
import * as tf from '@tensorflow/tfjs-core';
import { filterGrad, forwardConv, transposedConv } from './conv_kernels.js';
import { gemmForForward, gemmForTransposed, gemmForwardConv, gemmTransposedConv } from './gemm_kernels.js';
import { convGeometry, type Padding } from './geometry.js';

/**
 * NHWC input, HWIO filter [kh, kw, inC, outC]. `pad`: 'same' | 'valid' | number (every side, as PyTorch) | explicit
 * [[0,0],[top,bottom],[left,right],[0,0]]. Stride and dilation cannot both exceed 1 (as in tf.conv2d).
 */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, strides: number, pad: Padding, dilation = 1): tf.Tensor4D {
  const g = convGeometry(x.shape, filter.shape, strides, pad, dilation, 'conv2d');
  const op = tf.customGrad((xIn, fIn, save) => {
    const xt = xIn as tf.Tensor4D;
    const ft = fIn as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xt, ft]);
    return {
      value: gemmForForward(g) ? gemmForwardConv(xt, ft, g) : forwardConv(xt, ft, g),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, fs] = saved as tf.Tensor4D[];
        const dx = gemmForTransposed(g) ? gemmTransposedConv(dy, fs, g) : transposedConv(dy, fs, g);
        return [dx, filterGrad(xs, dy, g)];
      },
    };
  });
  return op(x, filter) as tf.Tensor4D;
}
