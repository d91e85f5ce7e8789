// Runs the frozen backbone once per image pair and turns its features into the perceptual and style
// terms. phi(real) is computed outside the gradient tape (it does not depend on any trained weight) and,
// with perceptual.cache_real, kept per training image (the seed's CachedPerceptualLoss).
import * as tf from '@tensorflow/tfjs-core';
import { perceptualLoss, type Features } from './perceptual.js';
import { styleLoss } from './style.js';

/** What the losses need from a backbone: features of NHWC RGB in [-1,1], by layer name. */
export interface FeatureExtractor {
  features(x: tf.Tensor4D, layers: string[]): Features;
  /** Multiplier that puts the features on the torchvision input scale; 1 when absent. */
  featureScale?: number;
}

export interface FeatureLossConfig {
  perceptual: {
    weight: number;
    layers: Record<string, number>;
    cache_real: boolean;
    normalize?: 'auto' | 'input' | 'none';
  };
  style: { weight: number; layers: Record<string, number> };
}

export const activeLayers = (weights: Record<string, number>): string[] =>
  Object.entries(weights)
    .filter(([, w]) => w !== 0)
    .map(([l]) => l);

/** Backbone layers the loss mix needs; empty when neither term is on. */
export function featureLayers(cfg: FeatureLossConfig): string[] {
  const set = new Set<string>();
  if (cfg.perceptual.weight > 0) activeLayers(cfg.perceptual.layers).forEach((l) => set.add(l));
  if (cfg.style.weight > 0) activeLayers(cfg.style.layers).forEach((l) => set.add(l));
  return [...set];
}

export class FeatureCriterion {
  readonly layers: string[];
  private readonly cache = new Map<string, Features>();
  private readonly scales: Record<string, number> = {};
  private calibrated = false;

  constructor(
    private readonly extractor: FeatureExtractor,
    private readonly cfg: FeatureLossConfig,
  ) {
    this.layers = featureLayers(cfg);
  }

  /**
   * phi(real) for a batch; the caller disposes the result. `keys` (one per image) enable the cache:
   * only pass them when crops and flips are off, so an image always yields the same tensor.
   */
  realFeatures(real: tf.Tensor4D, keys?: string[]): Features {
    if (this.normalize === 'auto' && !this.calibrated)
      throw new Error('feature criterion: normalize auto needs calibrate() before the first step');
    if (!this.cfg.perceptual.cache_real || !keys) return tf.tidy(() => this.extractor.features(real, this.layers));
    const missing = keys.map((k, i) => (this.cache.has(k) ? -1 : i)).filter((i) => i >= 0);
    for (const i of missing) {
      const f = tf.tidy(() =>
        this.extractor.features(tf.slice(real, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D, this.layers),
      );
      this.cache.set(keys[i], f);
    }
    return tf.tidy(() =>
      Object.fromEntries(
        this.layers.map((l) => [
          l,
          tf.concat(
            keys.map((k) => this.cache.get(k)![l]),
            0,
          ),
        ]),
      ),
    );
  }

  /**
   * normalize: auto measures each tapped layer's feature RMS on these real images (the first training targets) and
   * divides the layer's features by it from then on. Call once before the first step; a no-op for input / none.
   * Asynchronous because webgpu has no synchronous read in Node (its readSync needs OffscreenCanvas).
   */
  async calibrate(real: tf.Tensor4D): Promise<void> {
    if (this.normalize !== 'auto') return;
    const squares = tf.tidy(() => {
      const f = this.extractor.features(real, this.layers);
      return this.layers.map((l) => tf.mean(tf.square(f[l]!)));
    });
    const ms = await Promise.all(squares.map(async (t) => (await t.data())[0]!));
    tf.dispose(squares);
    this.calibrated = true;
    this.layers.forEach((l, i) => {
      // A layer that is all zeros on every calibration image (a dead ReLU map) keeps its raw scale.
      this.scales[l] = ms[i]! > 0 ? 1 / Math.sqrt(ms[i]!) : 1;
    });
  }

  private get normalize(): 'auto' | 'input' | 'none' {
    return this.cfg.perceptual.normalize ?? 'auto';
  }

  /** Multiplier applied to layer l's features (1 under normalize: none). */
  featureScale(layer: string): number {
    if (this.normalize === 'none') return 1;
    if (this.normalize === 'input') return this.extractor.featureScale ?? 1;
    const s = this.scales[layer];
    if (s === undefined) throw new Error(`feature criterion: normalize auto needs calibrate() first (layer ${layer})`);
    return s;
  }

  /**
   * The per-layer weights with the feature scale folded in: scaling the loss instead of the features is the same
   * arithmetic without a copy of every feature map. The perceptual term is quadratic in the features (s^2), the
   * style term quadratic in the Gram matrices, which are quadratic in the features (s^4).
   */
  private scaled(weights: Record<string, number>, power: number): Record<string, number> {
    const active = Object.entries(weights).filter(([, w]) => w !== 0);
    return Object.fromEntries(active.map(([l, w]) => [l, w * this.featureScale(l) ** power]));
  }

  /** Per-layer-weighted perceptual and style terms of fake against precomputed real features (inside the tape). */
  terms(fake: tf.Tensor4D, real: Features): { perceptual: tf.Scalar; style: tf.Scalar } {
    const f = this.extractor.features(fake, this.layers);
    const { perceptual, style } = this.cfg;
    return {
      perceptual: perceptual.weight > 0 ? perceptualLoss(f, real, this.scaled(perceptual.layers, 2)) : tf.scalar(0),
      style: style.weight > 0 ? styleLoss(f, real, this.scaled(style.layers, 4)) : tf.scalar(0),
    };
  }

  dispose(): void {
    for (const f of this.cache.values()) tf.dispose(Object.values(f));
    this.cache.clear();
  }
}
