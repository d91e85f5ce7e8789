// Frechet distance against pytorch-fid's formula (scipy.linalg.sqrtm) and KID against a NumPy MMD^2, on closed-form
// feature sets; fixture and script: test/fixtures/fid/{frechet-reference.json,make_frechet_reference.py}.
import fs from 'node:fs/promises';
import path from 'node:path';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../../../test/shared-paths.js';
import { frechetDistance, kernelInceptionDistance, kidOnSubsets, type FeatureSet } from './fid.js';

const ref = JSON.parse(await fs.readFile(path.join(REPO_DIR, 'test/fixtures/fid/frechet-reference.json'), 'utf8')) as {
  frechet: {
    n1: number;
    n2: number;
    d: number;
    fid: number;
    fid_same: number;
    fid_sym: number;
    fid_nuclear: number | null;
  }[];
  kid: { n1: number; n2: number; d: number; m: number; subsets: number; values: number[] };
};

/** feature_set in make_reference.py. */
function featureSet(n: number, d: number, k: number): FeatureSet {
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++)
      data[i * d + j] =
        Math.sin((0.37 * i * (j + 1)) / d + 0.11 * i + 0.23 * j + k) +
        0.5 * Math.cos(0.05 * i * (j + 1) + k) +
        0.3 * k * Math.cos(j);
  return { data, n, d };
}

/** subset_indices in make_reference.py: the m indices with the smallest sin(1.7 i + 2.3 s + 0.1 i^2). */
function subsetIndices(n: number, m: number, s: number): number[] {
  const key = (k: number) => Math.sin(1.7 * k + 2.3 * s + 0.1 * k * k);
  return Array.from({ length: n }, (_, k) => k)
    .sort((a, b) => key(a) - key(b))
    .slice(0, m);
}

describe('Frechet distance', () => {
  it.each(ref.frechet)(
    'matches scipy for n1=$n1, n2=$n2, d=$d',
    ({ n1, n2, d, fid, fid_same, fid_sym, fid_nuclear }) => {
      const a = featureSet(n1, d, 0);
      const b = featureSet(n2, d, 1);
      const got = frechetDistance(a, b);
      // pytorch-fid's route (sqrtm of the non-symmetric product) is exact only up to its own rounding, which shows as
      // fid_same, its value on identical sets: ~1e-3 at 100 images in 2048 dimensions.
      const noise = Math.max(1e-6 * fid, 2 * Math.abs(fid_same));
      expect(Math.abs(got - fid), `FID ${got} vs scipy sqrtm ${fid}`).toBeLessThan(noise);
      // The symmetric-eigendecomposition route has noise of the same kind (sqrt of rounding-level null eigenvalues).
      expect(Math.abs(got - fid_sym), `FID ${got} vs scipy eigh route ${fid_sym}`).toBeLessThan(noise);
      // The identity pipe uses, by LAPACK's SVD: agreement to rounding.
      if (fid_nuclear !== null)
        expect(Math.abs(got - fid_nuclear) / fid_nuclear, `FID ${got} vs numpy ${fid_nuclear}`).toBeLessThan(1e-10);
      // Identical sets: 0 (scipy's sqrtm route leaves rounding noise of its own, fid_same).
      expect(frechetDistance(a, a)).toBeLessThan(Math.max(1e-9 * fid, Math.abs(fid_same)));
    },
  );

  it('is symmetric and grows with a mean shift by exactly its squared length', () => {
    const a = featureSet(30, 8, 0);
    const b = featureSet(40, 8, 1);
    expect(frechetDistance(a, b)).toBeCloseTo(frechetDistance(b, a), 9);
    const shifted = { ...a, data: a.data.map((v, i) => v + (i % 8 === 0 ? 2 : 0)) };
    expect(frechetDistance(a, shifted)).toBeCloseTo(4, 9);
  });
});

describe('KID', () => {
  it('matches the NumPy unbiased MMD^2 (polynomial kernel, degree 3, gamma 1/d, coef 1) on the same subsets', () => {
    const { n1, n2, d, m, subsets, values } = ref.kid;
    const sx = Array.from({ length: subsets }, (_, s) => subsetIndices(n1, m, s));
    const sy = Array.from({ length: subsets }, (_, s) => subsetIndices(n2, m, s));
    const got = kidOnSubsets(featureSet(n1, d, 0), featureSet(n2, d, 1), sx, sy);
    got.values.forEach((v, i) => expect(Math.abs(v - values[i]!) / Math.abs(values[i]!)).toBeLessThan(1e-9));
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    expect(got.mean).toBeCloseTo(mean, 12);
  });

  it('samples seeded subsets capped at the smaller set, and separates same from shifted distributions', () => {
    const a = featureSet(60, 16, 0);
    const b = featureSet(50, 16, 1);
    const r1 = kernelInceptionDistance(a, b, { subsetSize: 1000, subsets: 10 });
    const r2 = kernelInceptionDistance(a, b, { subsetSize: 1000, subsets: 10 });
    expect(r1).toEqual(r2);
    expect(r1.subsetSize).toBe(50);
    expect(r1.values).toHaveLength(10);
    // Two independent Gaussian samples: unbiased, so near 0; a 0.5 mean shift in every dimension: clearly positive.
    const rng = seedrandom('kid-test');
    const gauss = (n: number, shift: number) => ({
      data: Float64Array.from(
        { length: n * 16 },
        () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()) + shift,
      ),
      n,
      d: 16,
    });
    const x = gauss(200, 0);
    const same = kernelInceptionDistance(x, gauss(200, 0), { subsetSize: 100, subsets: 50 });
    const shifted = kernelInceptionDistance(x, gauss(200, 0.5), { subsetSize: 100, subsets: 50 });
    expect(same.std).toBeGreaterThan(0);
    expect(Math.abs(same.mean)).toBeLessThan(shifted.mean / 10);
    expect(shifted.mean).toBeGreaterThan(5 * shifted.std);
  });
});
