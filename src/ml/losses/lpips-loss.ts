// LPIPS as a training term (the article's section 5.2): weight * mean over the batch of the LPIPS v0.1 distance of
// fake to real. The arithmetic is the metric's own (src/ml/metrics/lpips.ts: scaling layer, frozen backbone taps,
// unit normalisation, squared difference, 1x1 heads, spatial mean); this module only splits it so that the real
// image's features are computed once per step outside the gradient tape, as the perceptual term does.
import * as tf from '@tensorflow/tfjs-core';
import type { Lpips } from '../metrics/lpips.js';

export type LpipsFeatureSource = Pick<Lpips, 'features' | 'distanceFromFeatures'>;

export class LpipsCriterion {
  constructor(private readonly lpips: LpipsFeatureSource) {}

  /** phi(real): the caller disposes the result. No gradient flows to it (it depends on no trained weight). */
  realFeatures(real: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => this.lpips.features(real));
  }

  /** Unweighted mean LPIPS of fake against precomputed real features (call inside the tape). */
  term(fake: tf.Tensor4D, real: tf.Tensor4D[]): tf.Scalar {
    return tf.tidy(() => tf.mean(this.lpips.distanceFromFeatures(this.lpips.features(fake), real)) as tf.Scalar);
  }
}
