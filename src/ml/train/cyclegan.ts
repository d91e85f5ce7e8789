// cycle_gan_model.py: G step (G_A: A->B, G_B: B->A; GAN + cycle + identity), then D_A / D_B on history
// pools. Perceptual, style and LPIPS terms compare the cycle reconstructions with the real inputs (rec_A vs
// A, rec_B vs B): the data is unpaired, so fake_B has no matching real B to compare with.
import * as tf from '@tensorflow/tfjs-core';
import { cycleLoss, identityLoss } from '../losses/cycle.js';
import { ganLoss } from '../losses/gan.js';
import { discriminatorFor, generatorFor } from '../models/index.js';
import type { GanTrainer, TrainerConfig } from './gan-trainer.js';
import { NetSet } from './nets.js';
import { readTerms } from './pix2pix.js';
import { ImagePool } from './pool.js';
import { seedSource, stepRng } from './rng.js';
import type { Batch, LossTerms } from './types.js';

export class CycleGanTrainer implements GanTrainer {
  readonly nets = new NetSet();
  readonly generators = { AtoB: 'G_A', BtoA: 'G_B' };
  private readonly poolA: ImagePool;
  private readonly poolB: ImagePool;

  constructor(private readonly cfg: TrainerConfig) {
    const { model, train } = cfg;
    for (const g of ['G_A', 'G_B'])
      this.nets.add(g, generatorFor(model, cfg.cropSize, undefined, train.recompute), train.seed, model.init_gain);
    for (const d of ['D_A', 'D_B']) this.nets.add(d, discriminatorFor(model, 3), train.seed, model.init_gain);
    const adam = { beta1: train.beta1, beta2: train.beta2 };
    this.nets.optimiser('G', ['G_A', 'G_B'], adam);
    this.nets.optimiser('D', ['D_A', 'D_B'], adam);
    this.poolA = new ImagePool(model.pool_size);
    this.poolB = new ImagePool(model.pool_size);
  }

  async step(batch: Batch, lr: number, step: number): Promise<LossTerms> {
    return readTerms(this.launch(batch, lr, step));
  }

  // eslint-disable-next-line max-lines-per-function -- one step in the reference's order (G tape, then D_A, D_B)
  launch(batch: Batch, lr: number, step: number): Record<string, tf.Scalar> {
    const { loss, train } = this.cfg;
    const mode = loss.gan.mode;
    const { lambda_A: lA, lambda_B: lB, identity: lIdt } = loss.cycle;
    const { A, B } = batch;
    const ctx = { dropoutSeed: seedSource(stepRng(train.seed, 'dropout', step)) };
    const kept: Record<string, tf.Scalar> = {};
    const keep = (k: string, t: tf.Scalar) => (kept[k] = tf.keep(t));
    let fakeA!: tf.Tensor4D;
    let fakeB!: tf.Tensor4D;

    const feats = this.cfg.features;
    const realA = feats?.realFeatures(A, batch.keysA);
    const realB = feats?.realFeatures(B, batch.keysB);
    const lp = this.cfg.lpips;
    const lpA = lp?.realFeatures(A);
    const lpB = lp?.realFeatures(B);
    // The objective is a sum over the two cycles; each half is taped on its own (same gradient, half
    // the peak memory). A-side: G_A(A) judged by D_A, rec_A = G_B(G_A(A)), identity G_B(A).
    const half = (side: 'A' | 'B') => () => {
      const [gFwd, gBack, d, real, lambda, feats0, lp0] =
        side === 'A'
          ? (['G_A', 'G_B', 'D_A', A, lA, realA, lpA] as const)
          : (['G_B', 'G_A', 'D_B', B, lB, realB, lpB] as const);
      const fake = tf.keep(this.nets.run(gFwd, real, ctx));
      if (side === 'A') fakeB = fake;
      else fakeA = fake;
      const rec = this.nets.run(gBack, fake, ctx);
      let total = tf.add(
        keep(gFwd, tf.mul(ganLoss(mode, this.nets.run(d, fake), true), loss.gan.weight)),
        keep(`cycle_${side}`, cycleLoss(rec, real, lambda)),
      );
      if (lIdt > 0) {
        // idt_B = G_B(A) vs A (weighted by lambda_A); idt_A = G_A(B) vs B (lambda_B).
        total = tf.add(
          total,
          keep(side === 'A' ? 'idt_B' : 'idt_A', identityLoss(this.nets.run(gBack, real, ctx), real, lambda, lIdt)),
        );
      }
      if (feats && feats0) {
        const t = feats.terms(rec, feats0);
        total = tf.add(
          total,
          tf.add(
            keep(`perceptual_${side}`, tf.mul(t.perceptual, loss.perceptual.weight)),
            keep(`style_${side}`, tf.mul(t.style, loss.style.weight)),
          ),
        );
      }
      if (lp && lp0) total = tf.add(total, keep(`lpips_${side}`, tf.mul(lp.term(rec, lp0), loss.lpips.weight)));
      return total as tf.Scalar;
    };
    this.nets.minimiseSum('G', lr, [half('A'), half('B')]);
    tf.dispose([...Object.values(realA ?? {}), ...Object.values(realB ?? {}), ...(lpA ?? []), ...(lpB ?? [])]);

    const poolRng = stepRng(train.seed, 'pool', step);
    const pooledB = this.poolB.query(fakeB, poolRng);
    const pooledA = this.poolA.query(fakeA, poolRng);
    tf.dispose([fakeA, fakeB]);
    // backward_D_basic for D_A (real B vs pooled fake B) and D_B (real A vs pooled fake A).
    const dLoss = (d: 'D_A' | 'D_B', real: tf.Tensor4D, fake: tf.Tensor4D) => () =>
      tf.mul(
        tf.add(
          keep(`${d}_real`, ganLoss(mode, this.nets.run(d, real), true)),
          keep(`${d}_fake`, ganLoss(mode, this.nets.run(d, fake), false)),
        ),
        0.5,
      ) as tf.Scalar;
    this.nets.minimiseSum('D', lr, [dLoss('D_A', B, pooledB), dLoss('D_B', A, pooledA)]);
    tf.dispose([pooledA, pooledB]);
    return kept;
  }

  sample(batch: Batch, step: number): tf.Tensor4D {
    return tf.tidy(() => {
      const ctx = { dropoutSeed: seedSource(stepRng(this.cfg.train.seed, 'sample', step)) };
      const a = tf.slice(batch.A, 0, 1) as tf.Tensor4D;
      const b = tf.slice(batch.B, 0, 1) as tf.Tensor4D;
      const fakeB = this.nets.run('G_A', a, ctx);
      const fakeA = this.nets.run('G_B', b, ctx);
      return tf.concat(
        [a, fakeB, this.nets.run('G_B', fakeB, ctx), b, fakeA, this.nets.run('G_A', fakeA, ctx)],
        0,
      ) as tf.Tensor4D;
    });
  }

  extraTensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    this.poolA.images.forEach((t, i) => (out[`pool/A/${i}`] = t));
    this.poolB.images.forEach((t, i) => (out[`pool/B/${i}`] = t));
    return out;
  }

  restoreExtra(tensors: Record<string, tf.Tensor>): void {
    const take = (d: string) =>
      Object.keys(tensors)
        .filter((k) => k.startsWith(`pool/${d}/`))
        .sort((x, y) => Number(x.split('/')[2]) - Number(y.split('/')[2]))
        .map((k) => tensors[k] as tf.Tensor4D);
    this.poolA.restore(take('A'));
    this.poolB.restore(take('B'));
  }

  dispose(): void {
    this.nets.dispose();
    this.poolA.dispose();
    this.poolB.dispose();
  }
}
