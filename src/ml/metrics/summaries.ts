// Per-image values -> per-metric summaries (mean, std, seeded bootstrap 95 % interval), the way the
// evaluate stage writes them. The bootstrap seed is fixed per metric so reruns give identical files.
import { PAIR_METRICS } from './definitions.js';
import type { MetricName, PairMetricName, SpeedFigures, Summary } from '../../core/formats/metrics-file.js';
import { summarize } from './stats.js';

export type ImageValues = Record<string, Partial<Record<PairMetricName, number>>>;

export function summarizeImages(
  images: ImageValues,
  metrics: readonly MetricName[],
  resamples = 1000,
): Partial<Record<MetricName, Summary>> {
  const out: Partial<Record<MetricName, Summary>> = {};
  for (const m of PAIR_METRICS) {
    if (!metrics.includes(m)) continue;
    const values = Object.values(images)
      .map((v) => v[m])
      .filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
    if (values.length) out[m] = summarize(values, { resamples, seed: `pipe-${m}` });
  }
  return out;
}

/** Speed figures and an fps summary (images/s = 1000 / mean ms; interval by bootstrap over timed calls). */
export function summarizeSpeed(
  msPerCall: readonly number[],
  warmup: number,
  backend: string,
  resamples = 1000,
): { speed: SpeedFigures; fps: Summary } {
  const fpsOf = (ms: number[]) => 1000 / (ms.reduce((a, b) => a + b, 0) / ms.length);
  const fps = summarize(msPerCall, { resamples, seed: 'pipe-fps', statistic: fpsOf });
  // The std of per-call throughput is what a reader expects next to images/s.
  const perCall = msPerCall.map((ms) => 1000 / ms);
  const m = perCall.reduce((a, b) => a + b, 0) / perCall.length;
  fps.std = perCall.length > 1 ? Math.sqrt(perCall.reduce((a, v) => a + (v - m) ** 2, 0) / (perCall.length - 1)) : 0;
  const msMean = msPerCall.reduce((a, b) => a + b, 0) / msPerCall.length;
  return {
    speed: { images_per_second: 1000 / msMean, ms_per_image: msMean, warmup, timed: msPerCall.length, backend },
    fps,
  };
}
