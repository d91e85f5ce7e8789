// Transposed convolution (PyTorch ConvTranspose2d / tf.conv2dTranspose) as sub-pixel forward convs + depthToSpace,
// with gradients that are forward convs too: its input gradient is the matching forward conv and its filter gradient is
// that conv's filter gradient with the roles of input and output swapped.
import * as tf from '@tensorflow/tfjs-core';
import { filterGrad, forwardConv, transposedConv } from './conv_kernels.js';
import { gemmForForward, gemmForTransposed, gemmForwardConv, gemmTransposedConv } from './gemm_kernels.js';
import { convGeometry, type Padding } from './geometry.js';

/**
 * x [N,H,W,inC]; filter [kh, kw, outC, inC] as tf.conv2dTranspose expects (PyTorch weight [inC,outC,kh,kw] transposed
 * by [2,3,1,0]); outShape [N,outH,outW,outC]. A numeric `pad` is PyTorch's `padding`, so ConvTranspose2d(k=4, s=2, p=1)
 * is conv2dTranspose(x, w, [N, 2H, 2W, outC], 2, 1); an output_padding shows up as a larger outShape.
 */
export function conv2dTranspose(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  outShape: [number, number, number, number],
  strides: number,
  pad: Padding,
): tf.Tensor4D {
  // The geometry of the forward conv this op is the adjoint of: from outShape back to x's shape.
  const g = convGeometry(outShape, filter.shape, strides, pad, 1, 'conv2dTranspose');
  if (x.rank !== 4 || g.outH !== x.shape[1] || g.outW !== x.shape[2] || g.outC !== x.shape[3] || g.batch !== x.shape[0]) {
    throw new Error(
      `conv2dTranspose: input [${x.shape.join(', ')}] does not match outShape [${outShape.join(', ')}] with filter ` +
        `[${filter.shape.join(', ')}], stride ${strides}, pad ${JSON.stringify(pad)} (expected input ` +
        `[${g.batch}, ${g.outH}, ${g.outW}, ${g.outC}])`,
    );
  }
  const op = tf.customGrad((xIn, fIn, save) => {
    const xt = xIn as tf.Tensor4D;
    const ft = fIn as tf.Tensor4D;
    (save as tf.GradSaveFunc)([xt, ft]);
    return {
      value: gemmForTransposed(g) ? gemmTransposedConv(xt, ft, g) : transposedConv(xt, ft, g),
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const [xs, fs] = saved as tf.Tensor4D[];
        const dx = gemmForForward(g) ? gemmForwardConv(dy, fs, g) : forwardConv(dy, fs, g);
        return [dx, filterGrad(dy, xs, g)];
      },
    };
  });
  return op(x, filter) as tf.Tensor4D;
}
