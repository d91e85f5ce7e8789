// Turning prepared uint8 images into model input: random crop (load_size -> crop_size) and random
// horizontal flip for training, as pytorch-CycleGAN-and-pix2pix's get_transform does, then
// ToTensor + Normalize(0.5, 0.5), i.e. x / 127.5 - 1. Output is NHWC float32, ready for tf.tensor4d.
import type { PreparedImages, PreparedSplit } from './types.js';
import { randomInt } from './rng.js';

export interface AugmentOptions {
  cropSize: number;
  flip: boolean;
}

/** One image's augmentation; shared by A and B of an aligned pair. */
export interface Augment {
  x: number;
  y: number;
  flip: boolean;
}

// 256 entries: the exact float32 each byte maps to.
const UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 127.5 - 1);

/**
 * Draws one crop offset and flip. Always three draws (x, y, flip) whatever the options, so the
 * random stream does not depend on `flip` or on the sizes.
 */
export function drawAugment(rng: () => number, size: number, opts: AugmentOptions): Augment {
  if (opts.cropSize > size) throw new RangeError(`crop_size ${opts.cropSize} is larger than the prepared size ${size}`);
  const range = size - opts.cropSize + 1;
  const x = randomInt(rng, range);
  const y = randomInt(rng, range);
  const flip = rng() > 0.5;
  return { x, y, flip: opts.flip && flip };
}

/** Writes image `pixels` (size×size RGB) cropped/flipped by `aug` into `out` at `offset` as [-1,1] floats. */
export function writeAugmented(
  pixels: Uint8Array,
  size: number,
  crop: number,
  aug: Augment,
  out: Float32Array,
  offset: number,
): void {
  let o = offset;
  for (let r = 0; r < crop; r++) {
    const rowStart = ((aug.y + r) * size + aug.x) * 3;
    if (!aug.flip) {
      for (let i = 0; i < crop * 3; i++) out[o++] = UNIT[pixels[rowStart + i]];
    } else {
      for (let c = crop - 1; c >= 0; c--) {
        const p = rowStart + c * 3;
        out[o++] = UNIT[pixels[p]];
        out[o++] = UNIT[pixels[p + 1]];
        out[o++] = UNIT[pixels[p + 2]];
      }
    }
  }
}

/** A training batch from one domain: an independent crop/flip per image (unaligned data). NHWC. */
export function sampleBatch(
  images: PreparedImages,
  indices: number[],
  rng: () => number,
  opts: AugmentOptions,
): Float32Array {
  const per = opts.cropSize * opts.cropSize * 3;
  const out = new Float32Array(indices.length * per);
  indices.forEach((idx, n) => {
    const aug = drawAugment(rng, images.size, opts);
    writeAugmented(images.get(idx), images.size, opts.cropSize, aug, out, n * per);
  });
  return out;
}

/** An aligned training batch: A[i] and B[i] get the same crop and flip. Both NHWC. */
export function samplePairBatch(
  split: PreparedSplit,
  indices: number[],
  rng: () => number,
  opts: AugmentOptions,
): { A: Float32Array; B: Float32Array } {
  if (split.A.size !== split.B.size) throw new Error('aligned split with different A and B sizes');
  const per = opts.cropSize * opts.cropSize * 3;
  const A = new Float32Array(indices.length * per);
  const B = new Float32Array(indices.length * per);
  indices.forEach((idx, n) => {
    const aug = drawAugment(rng, split.A.size, opts);
    writeAugmented(split.A.get(idx), split.A.size, opts.cropSize, aug, A, n * per);
    writeAugmented(split.B.get(idx), split.B.size, opts.cropSize, aug, B, n * per);
  });
  return { A, B };
}

/** Evaluation input: whole images (already crop_size), no augmentation, NHWC in [-1,1]. */
export function toTensor(images: PreparedImages, indices: number | number[]): Float32Array {
  const list = typeof indices === 'number' ? [indices] : indices;
  const per = images.size * images.size * 3;
  const out = new Float32Array(list.length * per);
  list.forEach((idx, n) => {
    const px = images.get(idx);
    for (let i = 0; i < per; i++) out[n * per + i] = UNIT[px[i]];
  });
  return out;
}
