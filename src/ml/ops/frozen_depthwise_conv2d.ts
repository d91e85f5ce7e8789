// Depthwise convolution (channel multiplier 1) with a constant filter, for frozen backbones (MobileNetV2).
// wasm has no DepthwiseConv2dNativeBackpropInput kernel, so the input gradient is built from a forward depthwise conv:
// the output gradient, dilated by the stride and padded by k-1-pad, convolved with the spatially flipped filter.
import * as tf from '@tensorflow/tfjs-core';

export interface FrozenDepthwiseFilter {
  /** [k, k, C, 1] */
  w: tf.Tensor4D;
  /** The same filter rotated by 180 degrees, for the input gradient. */
  flipped: tf.Tensor4D;
}

export function prepareDepthwiseFilter(w: tf.Tensor4D): FrozenDepthwiseFilter {
  return { w, flipped: tf.tidy(() => tf.reverse(w, [0, 1])) };
}

/** Inserts stride-1 zeros between the rows and columns of dy: [N,H,W,C] -> [N,(H-1)s+1,(W-1)s+1,C]. */
function dilate(dy: tf.Tensor4D, s: number): tf.Tensor4D {
  if (s === 1) return dy;
  const [n, h, w, c] = dy.shape;
  const spread = tf.pad(tf.reshape(dy, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, s - 1],
    [0, 0],
    [0, s - 1],
    [0, 0],
  ]);
  return tf.slice(
    tf.reshape(spread, [n, h * s, w * s, c]) as tf.Tensor4D,
    [0, 0, 0, 0],
    [n, (h - 1) * s + 1, (w - 1) * s + 1, c],
  );
}

/** y = depthwise conv of x (NHWC) with symmetric zero padding `pad` and `stride`; gradients reach x only. */
export function frozenDepthwiseConv2d(
  x: tf.Tensor4D,
  f: FrozenDepthwiseFilter,
  stride: number,
  pad: number,
): tf.Tensor4D {
  const [, hin, win] = x.shape;
  const k = f.w.shape[0];
  const op = tf.customGrad((xIn) => {
    const xt = xIn as tf.Tensor4D;
    const value = tf.tidy(() => {
      const xp =
        pad > 0
          ? tf.pad(xt, [
              [0, 0],
              [pad, pad],
              [pad, pad],
              [0, 0],
            ])
          : xt;
      return tf.depthwiseConv2d(xp, f.w, stride, 'valid');
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor4D) =>
        tf.tidy(() => {
          const q = k - 1 - pad;
          // Rows/columns of x that no window reached at the far edge (floor in the output size) get zero gradient.
          const rh = (hin + 2 * pad - k) % stride;
          const rw = (win + 2 * pad - k) % stride;
          const d = tf.pad(dilate(dy, stride), [
            [0, 0],
            [q, q + rh],
            [q, q + rw],
            [0, 0],
          ]);
          return tf.depthwiseConv2d(d, f.flipped, 1, 'valid');
        }),
    };
  });
  return op(x) as tf.Tensor4D;
}
