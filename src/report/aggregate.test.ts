import { describe, expect, it } from 'vitest';
import { aggregateRun, hasSeedGroups } from './aggregate.js';
import { fakeEvaluation } from '../../test/fixtures/metrics/fake-evaluation.js';

describe('aggregateRun', () => {
  const base = [0.5, 0.6, 0.55, 0.7, 0.65];
  it('keeps one-config variants as their bootstrap summary and pairs them with the baseline per image', () => {
    const run = aggregateRun({
      pipeline: 'p',
      baseline: 'l1',
      configs: [
        { id: 'l1', variant: 'l1', overrides: {} },
        { id: 'perc', variant: 'perc', overrides: { 'loss.perceptual.weight': 10 } },
      ],
      evaluations: { l1: fakeEvaluation(base), perc: fakeEvaluation(base.map((v, i) => v - 0.05 + i * 0.001)) },
    });
    expect(run.variants.l1.summary.ssim).toEqual(run.configs.l1.summary.ssim);
    expect(run.variants.l1.vs_baseline).toBeUndefined();
    const t = run.variants.perc.vs_baseline!.ssim!;
    expect(t.n).toBe(5);
    expect(t.mean_diff).toBeCloseTo(-0.048, 12);
    expect(t.p).toBeLessThan(0.001);
    expect(hasSeedGroups(run)).toBe(false);
  });

  it('averages seeds into groups with a t interval and pairs per-image seed means', () => {
    const configs = [1, 2, 3].flatMap((seed) => [
      { id: `a-seed=${seed}`, variant: 'a', overrides: { 'train.seed': seed } },
      { id: `b-seed=${seed}`, variant: 'b', overrides: { 'loss.l1.weight': 0, 'train.seed': seed } },
    ]);
    const evaluations = Object.fromEntries(
      configs.map((c) => {
        const seed = c.overrides['train.seed'] as number;
        const shift = (c.variant === 'b' ? 0.1 : 0) + seed * 0.01;
        return [c.id, fakeEvaluation(base.map((v) => v + shift))];
      }),
    );
    const run = aggregateRun({
      pipeline: 'p',
      baseline: 'a',
      configs,
      evaluations,
      checks: [{ variant: 'b', metric: 'ssim', min: 0.5 }],
    });
    expect(hasSeedGroups(run)).toBe(true);
    expect(Object.keys(run.groups)).toEqual(['a', 'b']);
    const b = run.groups.b.summary.ssim!;
    expect(b.n).toBe(3);
    expect(b.mean).toBeCloseTo(0.6 + 0.1 + 0.02, 12);
    // seed means 0.71, 0.72, 0.73 -> sd 0.01, t(0.975, 2) = 4.3027
    expect(b.ci_high - b.mean).toBeCloseTo((4.302652729911275 * 0.01) / Math.sqrt(3), 9);
    expect(run.groups.b.vs_baseline!.ssim!.mean_diff).toBeCloseTo(0.1, 12);
    expect(run.configs['b-seed=2'].seed).toBe(2);
    expect(run.checks).toHaveLength(1);
  });

  it('labels groups by the non-seed overrides that vary inside a variant', () => {
    const configs = ['relu2_2', 'relu3_3'].flatMap((layer) =>
      [1, 2].map((seed) => ({
        id: `p-${layer}-${seed}`,
        variant: 'p',
        overrides: { 'loss.perceptual.layers': { [layer]: 1 }, 'train.seed': seed },
      })),
    );
    const evaluations = Object.fromEntries(configs.map((c) => [c.id, fakeEvaluation(base)]));
    const run = aggregateRun({ pipeline: 'p', baseline: null, configs, evaluations });
    expect(Object.keys(run.groups).sort()).toEqual([
      'p loss.perceptual.layers={"relu2_2":1}',
      'p loss.perceptual.layers={"relu3_3":1}',
    ]);
    expect(run.variants.p.configs).toHaveLength(4);
  });
});
