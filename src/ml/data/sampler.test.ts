import { describe, expect, it } from 'vitest';
import { seededRng, shuffledIndices } from './rng.js';
import { drawAugment, samplePairBatch, sampleBatch, toTensor } from './sampler.js';
import type { PreparedImages, PreparedSplit } from './types.js';

// Images whose pixel (x, y, c) encodes its position, so a crop/flip can be read back from the output.
function images(count: number, size: number, salt: number): PreparedImages {
  const all = Array.from({ length: count }, (_, i) => {
    const px = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) px.set([x * 10, y * 10, (i * 7 + salt) % 256], (y * size + x) * 3);
    return px;
  });
  return { count, size, names: all.map((_, i) => `${i}.png`), get: (i) => all[i] };
}

const toByte = (v: number) => Math.round((v + 1) * 127.5);

/** (x of the top-left pixel, y of it, whether the row runs right to left) for image n of a batch. */
function readBack(batch: Float32Array, n: number, crop: number) {
  const o = n * crop * crop * 3;
  const x0 = toByte(batch[o]) / 10;
  const x1 = toByte(batch[o + 3]) / 10;
  const flip = x1 < x0;
  return { x: flip ? x0 - (crop - 1) : x0, y: toByte(batch[o + 1]) / 10, flip, third: toByte(batch[o + 2]) };
}

describe('batch sampling', () => {
  const split: PreparedSplit = { A: images(5, 12, 0), B: images(5, 12, 100) };
  const opts = { cropSize: 8, flip: true };

  it('is deterministic for a seed and differs across seeds', () => {
    const a = samplePairBatch(split, [0, 1, 2, 3], seededRng(1), opts);
    const b = samplePairBatch(split, [0, 1, 2, 3], seededRng(1), opts);
    const c = samplePairBatch(split, [0, 1, 2, 3], seededRng(2), opts);
    expect(a.A).toEqual(b.A);
    expect(a.B).toEqual(b.B);
    expect(a.A).not.toEqual(c.A);
    expect(a.A.length).toBe(4 * 8 * 8 * 3);
  });

  it('applies the same crop and flip to A and B of a pair, and varies them across draws', () => {
    const rng = seededRng(7);
    const seen = new Set<string>();
    let flips = 0;
    for (let t = 0; t < 20; t++) {
      const { A, B } = samplePairBatch(split, [t % 5, (t + 2) % 5], rng, opts);
      for (let n = 0; n < 2; n++) {
        const ra = readBack(A, n, 8);
        const rb = readBack(B, n, 8);
        expect({ x: ra.x, y: ra.y, flip: ra.flip }).toEqual({ x: rb.x, y: rb.y, flip: rb.flip });
        expect(ra.x).toBeGreaterThanOrEqual(0);
        expect(ra.x).toBeLessThanOrEqual(4);
        expect(rb.third - ra.third).toBe(100);
        seen.add(`${ra.x},${ra.y}`);
        if (ra.flip) flips++;
      }
    }
    expect(seen.size).toBeGreaterThan(8);
    expect(flips).toBeGreaterThan(5);
    expect(flips).toBeLessThan(35);
  });

  it('flips the whole crop horizontally and never flips with flip: false', () => {
    const rng = seededRng(3);
    for (let t = 0; t < 10; t++) {
      const out = sampleBatch(split.A, [0], rng, { cropSize: 8, flip: false });
      expect(readBack(out, 0, 8).flip).toBe(false);
    }
    // Find a flipped draw and check its last column is the crop's first source column.
    const r2 = seededRng(4);
    for (let t = 0; t < 20; t++) {
      const state = r2.state();
      const aug = drawAugment(seededRng(4, state), 12, opts);
      const out = sampleBatch(split.A, [0], r2, opts);
      if (!aug.flip) continue;
      expect(toByte(out[0]) / 10).toBe(aug.x + 7);
      expect(toByte(out[7 * 3]) / 10).toBe(aug.x);
      return;
    }
    throw new Error('no flipped draw in 20 tries');
  });

  it('resumes the same stream from a saved RNG state', () => {
    const rng = seededRng('seed');
    sampleBatch(split.A, [0, 1], rng, opts);
    const saved = rng.state();
    const next = sampleBatch(split.A, [2, 3], rng, opts);
    expect(sampleBatch(split.A, [2, 3], seededRng('seed', saved), opts)).toEqual(next);
    expect(shuffledIndices(5, seededRng(1)).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(shuffledIndices(50, seededRng(1))).toEqual(shuffledIndices(50, seededRng(1)));
  });

  it('converts whole evaluation images to [-1, 1] without augmentation', () => {
    const imgs = images(2, 4, 0);
    const t = toTensor(imgs, [1, 0]);
    expect(t.length).toBe(2 * 4 * 4 * 3);
    expect(t[0]).toBe(-1);
    expect(toByte(t[3])).toBe(10);
    expect(toByte(t[2])).toBe(7);
    expect(toByte(t[4 * 4 * 3 + 2])).toBe(0);
    expect(toTensor(imgs, 0)[3 * 3]).toBeCloseTo(30 / 127.5 - 1, 6);
    expect(() => sampleBatch(imgs, [0], seededRng(1), { cropSize: 8, flip: true })).toThrow(/crop_size 8 is larger/);
  });
});
