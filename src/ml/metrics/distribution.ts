// FID and KID of a set of generated images against a set of real ones: Inception features are collected one image at a
// time (8-bit RGB, as pytorch-fid reads PNGs), then compared once the sets are complete.
import * as tf from '@tensorflow/tfjs-core';
import type { DistributionMetricName } from '../../core/formats/metrics-file.js';
import { frechetDistance, kernelInceptionDistance, type FeatureSet, type KidResult } from './fid.js';
import type { RgbImage } from './image.js';
import { FID_FEATURES, loadFidInception, type FidInception } from './inception.js';

export interface FeatureCollector {
  add(img: RgbImage): Promise<void>;
  readonly count: number;
  set(): FeatureSet;
}

export interface DistributionScorer {
  collector(): FeatureCollector;
  score(generated: FeatureSet, real: FeatureSet): { fid?: number; kid?: KidResult };
  source: FidInception['source'];
  dispose(): void;
}

export interface DistributionScorerOptions {
  metrics: readonly DistributionMetricName[];
  weightsDir?: string;
  downloadDir?: string;
  kidSubsetSize?: number;
  kidSubsets?: number;
}

export async function createDistributionScorer(opts: DistributionScorerOptions): Promise<DistributionScorer> {
  const net = await loadFidInception({ weightsDir: opts.weightsDir, downloadDir: opts.downloadDir });
  return {
    source: net.source,
    collector() {
      const rows: Float32Array[] = [];
      return {
        async add(img) {
          const x = tf.tidy(
            () => tf.div(tf.tensor4d(Float32Array.from(img.data), [1, img.height, img.width, 3]), 255) as tf.Tensor4D,
          );
          const f = net.features(x);
          x.dispose();
          try {
            rows.push((await f.data()) as Float32Array);
          } finally {
            f.dispose();
          }
        },
        get count() {
          return rows.length;
        },
        set() {
          const data = new Float32Array(rows.length * FID_FEATURES);
          rows.forEach((r, i) => data.set(r, i * FID_FEATURES));
          return { data, n: rows.length, d: FID_FEATURES };
        },
      };
    },
    score(generated, real) {
      const out: { fid?: number; kid?: KidResult } = {};
      if (opts.metrics.includes('fid')) out.fid = frechetDistance(generated, real);
      if (opts.metrics.includes('kid'))
        out.kid = kernelInceptionDistance(generated, real, {
          subsetSize: opts.kidSubsetSize,
          subsets: opts.kidSubsets,
        });
      return out;
    },
    dispose: () => net.dispose(),
  };
}
