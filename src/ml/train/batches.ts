// Training batches from a prepared split through the data module's sampler. Every draw is seeded by
// (seed, epoch) for the order and (seed, step) for crops/flips/unaligned partners, so a resumed run
// reproduces the uninterrupted one without storing generator state.
import * as tf from '@tensorflow/tfjs-core';
import { randomInt, seededRng, shuffledIndices } from '../data/rng.js';
import { sampleBatch, samplePairBatch } from '../data/sampler.js';
import type { PreparedSplit } from '../data/types.js';
import type { Batch, BatchSource } from './types.js';

export interface BatchOptions {
  layout: 'aligned' | 'unaligned';
  cropSize: number;
  flip: boolean;
  batchSize: number;
  seed: number;
}

export function batchSource(split: PreparedSplit, o: BatchOptions): BatchSource {
  const aligned = o.layout === 'aligned';
  // UnalignedDataset: one epoch is max(|A|, |B|) items; A cycles in (shuffled) order, B is random.
  const epochSize = aligned ? split.A.count : Math.max(split.A.count, split.B.count);
  if (epochSize === 0 || split.B.count === 0) throw new Error('the training split has no images');
  // phi(real) can be cached per image only when an image always gives the same tensor.
  const cacheable = !o.flip && split.A.size === o.cropSize;
  const opts = { cropSize: o.cropSize, flip: o.flip };
  let orderEpoch = -1;
  let order: number[] = [];
  return {
    epochSize,
    batch(epoch: number, i: number): Batch {
      if (epoch !== orderEpoch) {
        order = shuffledIndices(epochSize, seededRng(`${o.seed}/order/${epoch}`));
        orderEpoch = epoch;
      }
      const rng = seededRng(`${o.seed}/augment/${epoch}/${i}`);
      const items = Array.from({ length: o.batchSize }, (_, k) => order[(i * o.batchSize + k) % epochSize]);
      const shape = [o.batchSize, o.cropSize, o.cropSize, 3] as [number, number, number, number];
      if (aligned) {
        const { A, B } = samplePairBatch(split, items, rng, opts);
        const keys = cacheable ? items.map((n) => `B:${n}`) : undefined;
        return {
          A: tf.tensor4d(A, shape),
          B: tf.tensor4d(B, shape),
          keysB: keys,
          keysA: keys && items.map((n) => `A:${n}`),
        };
      }
      const ia = items.map((n) => n % split.A.count);
      const ib = items.map(() => randomInt(rng, split.B.count));
      const A = sampleBatch(split.A, ia, rng, opts);
      const B = sampleBatch(split.B, ib, rng, opts);
      return {
        A: tf.tensor4d(A, shape),
        B: tf.tensor4d(B, shape),
        keysA: cacheable ? ia.map((n) => `A:${n}`) : undefined,
        keysB: cacheable ? ib.map((n) => `B:${n}`) : undefined,
      };
    },
  };
}
