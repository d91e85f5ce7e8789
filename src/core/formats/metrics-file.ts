// The metrics.json formats: one per evaluate stage (per image + summaries + speed) and one per run
// (every config, variant aggregates, paired tests) that the report, `pipe check` and `pipe compare` read.
// JSON has no Infinity (PSNR of identical images), so non-finite numbers travel as the strings
// "Infinity", "-Infinity" and "NaN" and come back as numbers through metricsReviver (metrics-read.ts reads and checks a metrics.json).
import fs from 'node:fs/promises';
import type { Evaluate } from '../config.generated.js';
import { writeFileAtomic } from '../fs.js';

/** The metric names the schema allows in `evaluate.metrics`. */
export type MetricName = NonNullable<Evaluate['metrics']>[number];
/** Metrics of a whole set of outputs against the set of real images (no per-image value). */
export type DistributionMetricName = Extract<MetricName, 'fid' | 'kid'>;
/** Metrics computed per image pair (fps is a property of the generator, not of a pair). */
export type PairMetricName = Exclude<MetricName, 'fps' | DistributionMetricName>;

export interface Summary {
  n: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for n < 2. */
  std: number;
  /** 95 % interval: bootstrap over images, or Student t over seed means. */
  ci_low: number;
  ci_high: number;
}

export interface PairedTest {
  test: 'paired t-test';
  n: number;
  /** mean(x - y). */
  mean_diff: number;
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
}

/** A `checks:` entry, as written (optional keys) or after defaults (null for absent keys). */
export interface Check {
  variant: string;
  metric: string;
  min?: number | null;
  max?: number | null;
  max_drop_vs?: string | null;
  by?: number | null;
  on?: 'mean' | 'ci_low' | null;
}

export type Direction = 'AtoB' | 'BtoA';

export interface SpeedFigures {
  images_per_second: number;
  ms_per_image: number;
  /** Untimed calls before timing. */
  warmup: number;
  /** Timed calls (batch 1). */
  timed: number;
  backend: string;
}

/** How fid/kid were computed for one direction (they have no per-image values). */
export interface DistributionInfo {
  /** Generated images and real target-domain images whose Inception features were compared. */
  generated: number;
  real: number;
  /** FID's bias: fewer than FID_MIN_UNBIASED_IMAGES images in a set. */
  fid_biased: boolean;
  kid_subset_size: number | null;
  kid_subsets: number | null;
  /** Where the Inception weights came from. */
  inception: { file: string; sha256?: string };
}

export interface DirectionMetrics {
  /** What the outputs were compared with: the paired target (aligned data) or the input (unaligned data). */
  reference: 'target' | 'input';
  /** Output folder inside the evaluate stage's outDir, e.g. `images/AtoB`. */
  outputs: string;
  /** Image name -> metric -> value. */
  images: Record<string, Partial<Record<PairMetricName, number>>>;
  summary: Partial<Record<MetricName, Summary>>;
  speed: SpeedFigures | null;
  /** Present when fid or kid was computed. */
  distribution?: DistributionInfo;
}

export interface EvaluateMetricsFile {
  format: 'pipe.evaluate/1';
  split: string;
  metrics: MetricName[];
  lpips_net: string | null;
  bootstrap: number;
  backend: Record<string, unknown>;
  /** The primary direction (the model's input -> output; for CycleGAN, A -> B). */
  primary: Direction;
  directions: Partial<Record<Direction, DirectionMetrics>>;
  /** Copies of the primary direction's figures, so simple readers need not know about directions. */
  summary: Partial<Record<MetricName, Summary>>;
  images: Record<string, Partial<Record<PairMetricName, number>>>;
  speed: SpeedFigures | null;
}

export interface ConfigMetrics {
  variant: string;
  overrides: Record<string, unknown>;
  /** train.seed when the sweep sets it. */
  seed: number | null;
  /** Variant plus non-seed overrides: configs in one group differ only by seed. */
  group: string;
  split: string;
  summary: Partial<Record<MetricName, Summary>>;
  images: Record<string, Partial<Record<PairMetricName, number>>>;
  speed: SpeedFigures | null;
  backend: Record<string, unknown>;
  directions: Partial<Record<Direction, DirectionMetrics>>;
}

export interface AggregateMetrics {
  /** Configs averaged. One config: its bootstrap summary over images; several: Student t across their means. */
  configs: string[];
  summary: Partial<Record<MetricName, Summary>>;
  /** Per-image values of this group/variant vs the baseline's, averaged over seeds first. */
  vs_baseline?: Partial<Record<MetricName, PairedTest>>;
}

export interface RunMetricsFile {
  format: 'pipe.run/1';
  pipeline: string;
  baseline: string | null;
  metrics: MetricName[];
  configs: Record<string, ConfigMetrics>;
  /** Seed groups (configs that differ only by train.seed), when a sweep has seeds. */
  groups: Record<string, AggregateMetrics>;
  /** Variant -> all its sweep points averaged (what a check on a variant name reads). */
  variants: Record<string, AggregateMetrics>;
  /** The pipeline's checks, so `pipe check RUN` needs nothing but this file. */
  checks: Check[];
}

export type AnyMetricsFile = EvaluateMetricsFile | RunMetricsFile;
export type MetricsFormat = AnyMetricsFile['format'];
/** Every metrics.json format (and version) this build reads. */
export const METRICS_FORMATS: readonly MetricsFormat[] = ['pipe.evaluate/1', 'pipe.run/1'];

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/** Restores the non-finite numbers metricsToJson stored as strings. */
export function metricsReviver(_key: string, value: unknown): unknown {
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (value === 'NaN') return NaN;
  return value;
}

export function metricsToJson(data: unknown): string {
  return `${JSON.stringify(data, replacer, 2)}\n`;
}

export function parseMetricsJson<T = AnyMetricsFile>(text: string): T {
  return JSON.parse(text, metricsReviver) as T;
}

export async function readMetricsJson<T = AnyMetricsFile>(file: string): Promise<T> {
  return parseMetricsJson<T>(await fs.readFile(file, 'utf8'));
}

/** Writes through a temporary file and a rename, so readers never see half a file. */
export async function writeMetricsJson(file: string, data: unknown): Promise<void> {
  await writeFileAtomic(file, metricsToJson(data));
}
