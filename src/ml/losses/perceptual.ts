// Perceptual (feature reconstruction) term: sum_l w_l * mean((phi_l(fake) - phi_l(real))^2), i.e. the
// squared feature distance normalised by C*H*W (and the batch), as the seed's PerceptualLoss.
import * as tf from '@tensorflow/tfjs-core';
import { mseLoss } from './mse.js';

export type Features = Record<string, tf.Tensor4D>;

export function perceptualLoss(fake: Features, real: Features, weights: Record<string, number>): tf.Scalar {
  return tf.tidy(() => {
    let total: tf.Scalar = tf.scalar(0);
    for (const [layer, w] of Object.entries(weights)) {
      if (w === 0) continue;
      total = tf.add(total, tf.mul(w, mseLoss(pick(fake, layer, 'fake'), pick(real, layer, 'real'))));
    }
    return total;
  });
}

export function pick(f: Features, layer: string, which: string): tf.Tensor4D {
  const t = f[layer];
  if (!t)
    throw new Error(`perceptual loss: no ${which} features for layer "${layer}" (have ${Object.keys(f).join(', ')})`);
  return t;
}
