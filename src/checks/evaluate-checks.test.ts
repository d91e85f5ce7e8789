import { describe, expect, it } from 'vitest';
import { fakeEvaluation } from '../../test/fixtures/metrics/fake-evaluation.js';
import { aggregateRun } from '../report/aggregate.js';
import { evaluateChecks, formatChecksMarkdown, formatChecksText } from './evaluate-checks.js';

const base = [0.5, 0.6, 0.55, 0.7, 0.65];
const run = aggregateRun({
  pipeline: 'p',
  baseline: 'l1',
  configs: [
    { id: 'l1', variant: 'l1', overrides: {} },
    { id: 'perc', variant: 'perc', overrides: { 'loss.perceptual.weight': 10 } },
  ],
  evaluations: {
    l1: fakeEvaluation(base, [0.3, 0.3, 0.3, 0.3, 0.3]),
    perc: fakeEvaluation(
      base.map((v) => v - 0.03),
      [0.2, 0.25, 0.2, 0.22, 0.21],
    ),
  },
});

describe('evaluateChecks', () => {
  it('absolute gates on the mean and on the conservative interval end', () => {
    const r = evaluateChecks(
      [
        { variant: 'perc', metric: 'ssim', min: 0.55 },
        { variant: 'perc', metric: 'ssim', min: 0.55, on: 'ci_low' },
        { variant: 'perc', metric: 'lpips', max: 0.25, on: 'ci_low' },
        { variant: 'perc', metric: 'lpips', max: 0.22 },
      ],
      run,
    );
    expect(r.map((x) => [x.field, x.pass])).toEqual([
      ['mean', true],
      ['ci_low', false],
      ['ci_high', true],
      ['mean', true],
    ]);
    expect(r[0].value).toBeCloseTo(0.57, 12);
  });

  it('max_drop_vs another variant, with the sign per metric direction', () => {
    const r = evaluateChecks(
      [
        { variant: 'perc', metric: 'ssim', max_drop_vs: 'l1', by: 0.02 },
        { variant: 'perc', metric: 'ssim', max_drop_vs: 'l1', by: 0.04 },
        // LPIPS is lower-is-better: perc improves on l1, so even by 0 passes; l1 vs perc fails.
        { variant: 'perc', metric: 'lpips', max_drop_vs: 'l1' },
        { variant: 'l1', metric: 'lpips', max_drop_vs: 'perc', by: 0.05 },
      ],
      run,
    );
    expect(r.map((x) => x.pass)).toEqual([false, true, true, false]);
    expect(r[0].threshold).toBeCloseTo(0.6 - 0.02, 12);
    expect(r[0].thresholdText).toBe('>= 0.5800 (l1 0.6000 - 0.02)');
    expect(r[3].threshold).toBeCloseTo(0.216 + 0.05, 12);
  });

  it('max_drop_vs a stored baseline file instead of this run', () => {
    const stored = fakeEvaluation(base.map((v) => v - 0.05));
    const r = evaluateChecks([{ variant: 'perc', metric: 'ssim', max_drop_vs: 'whatever', by: 0 }], run, {
      baseline: stored,
      baselineLabel: 'old.json',
    });
    expect(r[0].pass).toBe(true);
    expect(r[0].thresholdText).toContain('old.json:whatever 0.5500');
  });

  it('fails with a note for an unknown variant or a metric that was not computed', () => {
    const r = evaluateChecks(
      [
        { variant: 'nope', metric: 'ssim', min: 0 },
        { variant: 'perc', metric: 'psnr', min: 0 },
        { variant: 'perc', metric: 'ssim', max_drop_vs: 'gone', by: 1 },
      ],
      run,
    );
    expect(r.every((x) => !x.pass)).toBe(true);
    expect(r[0].note).toMatch(/no variant or config "nope".*l1, perc/);
    expect(r[1].note).toMatch(/psnr was not computed/);
    expect(r[2].note).toMatch(/"gone"/);
  });

  it('renders text and Markdown tables', () => {
    const r = evaluateChecks(
      [
        { variant: 'perc', metric: 'ssim', min: 0.55 },
        { variant: 'perc', metric: 'ssim', min: 0.9 },
      ],
      run,
    );
    const text = formatChecksText(r);
    expect(text).toMatch(/perc ssim >= 0.55\s+0.5700\s+>= 0.5500\s+PASS/);
    expect(text).toMatch(/1 of 2 checks FAILED/);
    expect(formatChecksMarkdown(r)).toMatch(/\| perc ssim >= 0.9 \| 0.5700 \| >= 0.9000 \| ❌ FAIL \|/);
    expect(formatChecksText([])).toMatch(/No checks defined/);
  });
});

describe('checks after defaults', () => {
  it('treats null keys (as the compiler resolves absent ones) as absent', () => {
    const r = evaluateChecks(
      [{ variant: 'perc', metric: 'ssim', min: 0.5, max: null, max_drop_vs: null, by: 0, on: 'mean' }],
      run,
    );
    expect(r).toHaveLength(1);
    expect(r[0].kind).toBe('min');
  });
});
