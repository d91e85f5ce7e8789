// What the report says about fid/kid next to the metrics table: how many images each was computed on, and a warning
// where FID's small-sample bias makes its value (and comparisons between runs of different sizes) unreliable.
import type { MetricName, RunMetricsFile, Summary } from '../core/formats/metrics-file.js';
import { FID_MIN_UNBIASED_IMAGES, formatMetric } from '../ml/metrics/definitions.js';

export function distributionNotes(run: RunMetricsFile): string[] {
  const hasFid = run.metrics.includes('fid');
  const hasKid = run.metrics.includes('kid');
  if (!hasFid && !hasKid) return [];
  const infos = Object.values(run.configs).flatMap((c) =>
    Object.entries(c.directions).flatMap(([dir, d]) => (d?.distribution ? [{ dir, ...d.distribution }] : [])),
  );
  if (!infos.length) return [];
  const sizes = [...new Set(infos.map((i) => `${i.dir}: ${i.generated} generated vs ${i.real} real`))];
  const notes = [
    'FID/KID compare the Inception-v3 (pytorch-fid weights) features of every output with every real ' +
      `target-domain image of the split (${sizes.join('; ')}). ` +
      'For CycleGAN the table shows A→B; each direction is in metrics.json.',
  ];
  const kid = infos.find((i) => i.kid_subsets !== null);
  if (hasKid && kid)
    notes.push(
      `KID: mean ± std over ${kid.kid_subsets} random subsets of ${kid.kid_subset_size} images ` +
        '(unbiased MMD², polynomial kernel).',
    );
  if (hasFid && infos.some((i) => i.fid_biased)) {
    const smallest = Math.min(...infos.map((i) => Math.min(i.generated, i.real)));
    notes.push(
      `Warning: FID here is computed on ${smallest} images, fewer than ${FID_MIN_UNBIASED_IMAGES}. ` +
        'FID is biased upwards at this size and the bias depends on the image count, so its values are not ' +
        'comparable with published FIDs or across splits of different sizes. ' +
        (hasKid
          ? 'Prefer KID, which is unbiased, for these comparisons.'
          : 'Add kid to evaluate.metrics: it is unbiased at this size.'),
    );
  }
  return notes;
}

/**
 * The spread shown under a table value: the 95 % interval where there is one; for a single run's FID (one number for
 * the whole set) nothing, for its KID the std over subsets.
 */
export function spreadText(metric: MetricName, s: Summary): string {
  if (s.n > 1 && s.ci_low !== s.ci_high)
    return `[${formatMetric(metric, s.ci_low)}, ${formatMetric(metric, s.ci_high)}]`;
  if (metric === 'kid' && s.std > 0) return `± ${formatMetric(metric, s.std)}`;
  return '';
}
