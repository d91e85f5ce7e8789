import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../../../test/shared-paths.js';
import {
  aggregateSeeds,
  bootstrapInterval,
  mean,
  pairedTTest,
  sampleStd,
  studentTQuantile,
  summarize,
} from './stats.js';

const reference = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'test/fixtures/metrics/reference.json'), 'utf8')) as {
  paired_ttest: { x: number[]; y: number[]; t: number; p: number }[];
  t_quantiles: { df: number; q: number; t: number }[];
};

describe('statistics', () => {
  it('paired t-test matches scipy.stats.ttest_rel', () => {
    for (const ref of reference.paired_ttest) {
      const r = pairedTTest(ref.x, ref.y);
      expect(r.t).toBeCloseTo(ref.t, 9);
      expect(Math.abs(r.p - ref.p)).toBeLessThan(1e-9 + 1e-7 * ref.p);
      expect(r.df).toBe(ref.x.length - 1);
    }
  });

  it('Student t quantiles match scipy.stats.t.ppf', () => {
    for (const ref of reference.t_quantiles) expect(studentTQuantile(ref.q, ref.df)).toBeCloseTo(ref.t, 7);
  });

  it('mean, sample std and a seeded bootstrap interval that contains the mean', () => {
    const v = [0.1, 0.4, 0.35, 0.8, 0.5, 0.45, 0.6, 0.2];
    expect(mean(v)).toBeCloseTo(0.425, 12);
    expect(sampleStd(v)).toBeCloseTo(0.22038926600773587, 12); // numpy.std(v, ddof=1)
    const a = bootstrapInterval(v, { seed: 3 });
    expect(bootstrapInterval(v, { seed: 3 })).toEqual(a);
    expect(bootstrapInterval(v, { seed: 4 })).not.toEqual(a);
    expect(a[0]).toBeLessThan(0.425);
    expect(a[1]).toBeGreaterThan(0.425);
    // The bootstrap interval of the mean is close to the normal one, mean +- 1.96 * sd / sqrt(n).
    const half = (1.96 * sampleStd(v)) / Math.sqrt(v.length);
    expect(a[1] - a[0]).toBeGreaterThan(half);
    expect(a[1] - a[0]).toBeLessThan(2.6 * half);
    expect(summarize([2])).toEqual({ n: 1, mean: 2, std: 0, ci_low: 2, ci_high: 2 });
  });

  it('aggregates seeds with a t interval across seed means', () => {
    const s = aggregateSeeds([0.5, 0.6, 0.7]);
    expect(s.mean).toBeCloseTo(0.6, 12);
    expect(s.ci_high - s.mean).toBeCloseTo((4.302652729911275 * 0.1) / Math.sqrt(3), 9);
    expect(aggregateSeeds([0.4])).toMatchObject({ n: 1, mean: 0.4, ci_low: 0.4, ci_high: 0.4 });
  });

  it('reports degenerate paired tests without throwing', () => {
    expect(pairedTTest([1, 2], [1, 2]).p).toBeNaN();
    expect(pairedTTest([2, 3], [1, 2]).p).toBe(0);
    expect(() => pairedTTest([1], [1, 2])).toThrow(/equal lengths/);
  });
});
