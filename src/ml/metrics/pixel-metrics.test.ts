import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { metricCases } from '../../../test/fixtures/metrics/cases.js';
import { REPO_DIR } from '../../../test/shared-paths.js';
import { mae, psnr } from './pixel.js';
import { ssim } from './ssim.js';

interface RefCase {
  ssim: number;
  psnr: number | 'Infinity';
  mae: number;
}
const reference = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'test/fixtures/metrics/reference.json'), 'utf8')) as {
  cases: Record<string, RefCase>;
};

describe('SSIM, PSNR and MAE agree with scikit-image 0.19', () => {
  const cases = metricCases();
  it('covers every reference case', () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(reference.cases).sort());
  });
  for (const c of cases) {
    it(c.name, () => {
      const ref = reference.cases[c.name];
      expect(Math.abs(ssim(c.a, c.b) - ref.ssim)).toBeLessThan(1e-4);
      if (ref.psnr === 'Infinity') expect(psnr(c.a, c.b)).toBe(Infinity);
      else expect(psnr(c.a, c.b)).toBeCloseTo(ref.psnr, 9);
      expect(mae(c.a, c.b)).toBeCloseTo(ref.mae, 12);
    });
  }

  it('is symmetric and exactly 1 for identical images', () => {
    const [c] = cases;
    expect(ssim(c.a, c.b)).toBeCloseTo(ssim(c.b, c.a), 12);
    expect(ssim(c.a, c.a)).toBeCloseTo(1, 12);
  });

  it('refuses images smaller than the window and mismatched sizes', () => {
    const small = { width: 10, height: 12, data: new Uint8Array(10 * 12 * 3) };
    expect(() => ssim(small, small)).toThrow(/at least 11x11.*10x12/);
    const other = { width: 12, height: 10, data: new Uint8Array(10 * 12 * 3) };
    expect(() => psnr(small, other)).toThrow(/sizes differ \(10x12 vs 12x10\)/);
  });
});
