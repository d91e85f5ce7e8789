// The interface between the training loop and a model kind.
import type * as tf from '@tensorflow/tfjs-core';
import type { TrainParams } from '../../core/stage-params.js';
import type { FeatureCriterion } from '../losses/feature-criterion.js';
import type { LpipsCriterion } from '../losses/lpips-loss.js';
import type { NetSet } from './nets.js';
import type { Batch, LossTerms } from './types.js';

export interface TrainerConfig {
  model: TrainParams['model'];
  loss: TrainParams['loss'];
  train: TrainParams['train'];
  cropSize: number;
  /** Present when the perceptual or style weight is non-zero. */
  features?: FeatureCriterion;
  /** Present when loss.lpips.weight is non-zero. */
  lpips?: LpipsCriterion;
}

export interface GanTrainer {
  readonly nets: NetSet;
  /** Generators to publish: AtoB (pix2pix G, CycleGAN G_A) and BtoA (CycleGAN G_B). */
  readonly generators: { AtoB: string; BtoA?: string };
  /** One optimisation step (all networks) at global step `step`; resolves to the loss terms (read asynchronously: webgpu has no sync reads). */
  step(batch: Batch, lr: number, step: number): Promise<LossTerms>;
  /**
   * The same step without reading anything back: it returns the loss terms as scalars still on the device, which
   * the caller reads (readTerms) or disposes. On a GPU this lets the loop queue steps without waiting for each.
   */
  launch(batch: Batch, lr: number, step: number): Record<string, tf.Scalar>;
  /** A row of images for the epoch's sample PNG ([k, H, W, 3] in [-1,1]); the caller disposes it. */
  sample(batch: Batch, step: number): tf.Tensor4D;
  /** Tensors beyond the networks and optimisers (the image pools), for checkpoints. */
  extraTensors(): Record<string, tf.Tensor>;
  restoreExtra(tensors: Record<string, tf.Tensor>): void;
  dispose(): void;
}
