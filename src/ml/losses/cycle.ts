// CycleGAN's reconstruction terms (cycle_gan_model.backward_G): ||G_B(G_A(A)) - A||_1 * lambda_A and
// the identity term ||G_A(B) - B||_1 * lambda_B * lambda_identity (and symmetrically).
import * as tf from '@tensorflow/tfjs-core';
import { l1Loss } from './l1.js';

export function cycleLoss(reconstructed: tf.Tensor, real: tf.Tensor, lambda: number): tf.Scalar {
  return tf.tidy(() => tf.mul(l1Loss(reconstructed, real), lambda));
}

/** `lambda` is the weight of the domain the identity image lives in (lambda_B for G_A(B) vs B). */
export function identityLoss(identity: tf.Tensor, real: tf.Tensor, lambda: number, lambdaIdentity: number): tf.Scalar {
  return tf.tidy(() => tf.mul(l1Loss(identity, real), lambda * lambdaIdentity));
}
