// What the training loop needs from a GAN trainer (pix2pix or CycleGAN) and from the data.
import type * as tf from '@tensorflow/tfjs-core';

/** One training batch in [-1,1], NHWC. A is the input domain, B the target domain. */
export interface Batch {
  A: tf.Tensor4D;
  B: tf.Tensor4D;
  /** Per-image cache keys for phi(real) (only set when crops and flips are off). */
  keysA?: string[];
  keysB?: string[];
}

/** Draws batch i of an epoch; deterministic in (seed, epoch, i). The caller disposes the batch. */
export interface BatchSource {
  /** Items in one pass (aligned: pairs; unaligned: the larger domain). */
  epochSize: number;
  batch(epoch: number, i: number): Batch;
}

export type LossTerms = Record<string, number>;
