// Style term (Gatys / Johnson): sum_l w_l * mean((G(phi_l(fake)) - G(phi_l(real)))^2) with the Gram
// matrix G(f) = f^T f / (C*H*W) per image.
import * as tf from '@tensorflow/tfjs-core';
import { mseLoss } from './mse.js';
import { pick, type Features } from './perceptual.js';

/** [N,H,W,C] -> [N,C,C] Gram matrices normalised by C*H*W. */
export function gram(f: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w, c] = f.shape;
    const flat = tf.reshape(f, [n, h * w, c]);
    return tf.div(tf.matMul(flat, flat, true, false), c * h * w) as tf.Tensor3D;
  });
}

export function styleLoss(fake: Features, real: Features, weights: Record<string, number>): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    for (const [layer, w] of Object.entries(weights)) {
      if (w === 0) continue;
      total = tf.add(total, tf.mul(w, mseLoss(gram(pick(fake, layer, 'fake')), gram(pick(real, layer, 'real')))));
    }
    return total;
  });
}
