// What each metric name means to the report and the checks: which way is better, how to print it.
import type { DistributionMetricName, MetricName, PairMetricName } from '../../core/formats/metrics-file.js';

export interface MetricInfo {
  label: string;
  higherIsBetter: boolean;
  /** Decimals for tables. */
  digits: number;
  unit: string;
  description: string;
}

export const METRICS: Record<MetricName, MetricInfo> = {
  ssim: {
    label: 'SSIM',
    higherIsBetter: true,
    digits: 4,
    unit: '',
    description: 'Structural similarity (Gaussian 11x11, sigma 1.5, 8-bit RGB, mean over channels); 1 = identical',
  },
  psnr: {
    label: 'PSNR',
    higherIsBetter: true,
    digits: 2,
    unit: 'dB',
    description: 'Peak signal-to-noise ratio on 8-bit RGB',
  },
  lpips: {
    label: 'LPIPS',
    higherIsBetter: false,
    digits: 4,
    unit: '',
    description: 'Learned perceptual distance (LPIPS v0.1); 0 = identical',
  },
  mae: {
    label: 'MAE',
    higherIsBetter: false,
    digits: 4,
    unit: '',
    description: 'Mean absolute error, pixels in [0, 1]',
  },
  fps: {
    label: 'img/s',
    higherIsBetter: true,
    digits: 2,
    unit: 'img/s',
    description: 'Generator images per second at batch 1 after warm-up',
  },
  fid: {
    label: 'FID',
    higherIsBetter: false,
    digits: 2,
    unit: '',
    description:
      'Frechet Inception distance (pytorch-fid Inception-v3, 2048-d pool features), outputs vs real target-domain images; biased upwards below ~2,048 images',
  },
  kid: {
    label: 'KID',
    higherIsBetter: false,
    digits: 4,
    unit: '',
    description:
      'Kernel Inception distance (unbiased MMD^2, polynomial kernel) on the same features; mean +- std over random subsets',
  },
};

/** Below this many images FID is biased upwards (its estimate depends on n); KID is unbiased there. */
export const FID_MIN_UNBIASED_IMAGES = 2048;
export const DISTRIBUTION_METRICS: DistributionMetricName[] = ['fid', 'kid'];

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];
export const PAIR_METRICS: PairMetricName[] = ['ssim', 'psnr', 'lpips', 'mae'];

export function isMetricName(x: string): x is MetricName {
  return Object.hasOwn(METRICS, x);
}

/** value - reference, signed so that a positive number always means "better". */
export function improvement(metric: MetricName, value: number, reference: number): number {
  return METRICS[metric].higherIsBetter ? value - reference : reference - value;
}

export function formatMetric(metric: MetricName, value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  if (value === Infinity) return '∞';
  if (value === -Infinity) return '-∞';
  return value.toFixed(METRICS[metric].digits);
}
