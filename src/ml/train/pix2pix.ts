// pix2pix_model.py: D step on (A, G(A)) vs (A, B), then G step with GAN + L1 (+ perceptual, style).
import * as tf from '@tensorflow/tfjs-core';
import { ganLoss } from '../losses/gan.js';
import { l1Loss } from '../losses/l1.js';
import { discriminatorFor, generatorFor } from '../models/index.js';
import type { GanTrainer, TrainerConfig } from './gan-trainer.js';
import { NetSet } from './nets.js';
import { seedSource, stepRng } from './rng.js';
import type { Batch, LossTerms } from './types.js';

export class Pix2pixTrainer implements GanTrainer {
  readonly nets = new NetSet();
  readonly generators = { AtoB: 'G' };

  constructor(private readonly cfg: TrainerConfig) {
    const { model, train } = cfg;
    this.nets.add('G', generatorFor(model, cfg.cropSize, undefined, train.recompute), train.seed, model.init_gain);
    this.nets.add('D', discriminatorFor(model, 6), train.seed, model.init_gain);
    const adam = { beta1: train.beta1, beta2: train.beta2 };
    this.nets.optimiser('G', ['G'], adam);
    this.nets.optimiser('D', ['D'], adam);
  }

  async step(batch: Batch, lr: number, step: number): Promise<LossTerms> {
    return readTerms(this.launch(batch, lr, step));
  }

  launch(batch: Batch, lr: number, step: number): Record<string, tf.Scalar> {
    const { loss, train } = this.cfg;
    const mode = loss.gan.mode;
    const { A, B } = batch;
    const kept: Record<string, tf.Scalar> = {};
    const keep = (k: string, t: tf.Scalar) => (kept[k] = tf.keep(t));
    const real = this.cfg.features?.realFeatures(B, batch.keysB);
    const realLpips = this.cfg.lpips?.realFeatures(B);
    // As the reference: fake_B = G(A) once; D is updated on (A, fake_B) vs (A, B); then G's loss uses the
    // updated D on the same fake_B. The D step runs inside the G tape (a nested gradient): D's update is an
    // assignment, which the tape does not record, so G's gradient flows only through fake_B.
    this.nets.minimise('G', lr, () => {
      const f = this.nets.run('G', A, { dropoutSeed: seedSource(stepRng(train.seed, 'dropout', step)) });
      this.nets.minimise('D', lr, () => {
        const dFake = keep('D_fake', ganLoss(mode, this.nets.run('D', tf.concat([A, f], 3)), false));
        const dReal = keep('D_real', ganLoss(mode, this.nets.run('D', tf.concat([A, B], 3)), true));
        return tf.mul(tf.add(dFake, dReal), 0.5);
      });
      const gan = keep('G_GAN', tf.mul(ganLoss(mode, this.nets.run('D', tf.concat([A, f], 3)), true), loss.gan.weight));
      const l1 = l1Loss(f, B);
      keep('L1', l1);
      let total = tf.add(gan, keep('G_L1', tf.mul(l1, loss.l1.weight)));
      if (this.cfg.features && real) {
        const t = this.cfg.features.terms(f, real);
        total = tf.add(
          total,
          tf.add(
            keep('G_perceptual', tf.mul(t.perceptual, loss.perceptual.weight)),
            keep('G_style', tf.mul(t.style, loss.style.weight)),
          ),
        );
      }
      if (this.cfg.lpips && realLpips)
        total = tf.add(total, keep('G_LPIPS', tf.mul(this.cfg.lpips.term(f, realLpips), loss.lpips.weight)));
      return total as tf.Scalar;
    });
    if (real) tf.dispose(Object.values(real));
    if (realLpips) tf.dispose(realLpips);
    return kept;
  }

  sample(batch: Batch, step: number): tf.Tensor4D {
    return tf.tidy(() => {
      const fake = this.nets.run('G', tf.slice(batch.A, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D, {
        dropoutSeed: seedSource(stepRng(this.cfg.train.seed, 'sample', step)),
      });
      return tf.concat([tf.slice(batch.A, 0, 1), fake, tf.slice(batch.B, 0, 1)], 0) as tf.Tensor4D;
    });
  }

  extraTensors(): Record<string, tf.Tensor> {
    return {};
  }
  restoreExtra(): void {
    // pix2pix keeps no state beyond its nets (CycleGAN restores its image pools here).
  }
  dispose(): void {
    this.nets.dispose();
  }
}

/**
 * Scalars -> numbers; disposes them. Asynchronous reads: webgpu in Node has no synchronous read (tfjs implements it
 * with OffscreenCanvas), and on cpu/wasm the data is already there.
 */
export async function readTerms(kept: Record<string, tf.Scalar>): Promise<LossTerms> {
  const entries = Object.entries(kept);
  try {
    const values = await Promise.all(entries.map(([, t]) => t.data()));
    return Object.fromEntries(entries.map(([k], i) => [k, values[i]![0]!]));
  } finally {
    tf.dispose(entries.map(([, t]) => t));
  }
}
