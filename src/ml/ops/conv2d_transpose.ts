// Transposed convolution (PyTorch ConvTranspose2d / tf.conv2dTranspose) as sub-pixel forward convs + depthToSpace,
// with gradients that are forward convs too: its input gradient is the matching forward conv and its filter gradient is
// that conv's filter gradient with the roles of input and output swapped.
import * as tf from '@tensorflow/tfjs-core';
import { forwardProduct, transposeFilterProduct, transposedProduct } from './conv_dispatch.js';
import { convGeometry, type Padding } from './geometry.js';
import { withLazyGrads } from './lazy_grad.js';

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
  if (
    x.rank !== 4 ||
    g.outH !== x.shape[1] ||
    g.outW !== x.shape[2] ||
    g.outC !== x.shape[3] ||
    g.batch !== x.shape[0]
  ) {
    throw new Error(
      `conv2dTranspose: input [${x.shape.join(', ')}] does not match outShape [${outShape.join(', ')}] with filter ` +
        `[${filter.shape.join(', ')}], stride ${strides}, pad ${JSON.stringify(pad)} (expected input ` +
        `[${g.batch}, ${g.outH}, ${g.outW}, ${g.outC}])`,
    );
  }
  return withLazyGrads([x, filter], (save) => {
    save([x, filter]);
    return {
      value: transposedProduct(x, filter, g, 'forward'),
      grads: [
        (dy, [, fs]) => forwardProduct(dy as tf.Tensor4D, fs as tf.Tensor4D, g, 'backward'),
        (dy, [xs]) => transposeFilterProduct(dy as tf.Tensor4D, xs as tf.Tensor4D, g),
      ],
    };
  }) as tf.Tensor4D;
}
