// Evaluates trained generators on a prepared evaluation split: runs each generator over the split, saves every
// output PNG, scores each output against its target (aligned data) or its input (unaligned data, where no target
// exists: a content-preservation score), and writes metrics.json with per-image values, mean/std/bootstrap
// interval per metric and the generator's speed at batch 1. The evaluate stage hands off here, as train hands
// off to ml/train.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, WebgpuOptions } from '../../core/backends.js';
import { StageUserError } from '../../core/errors.js';
import {
  writeMetricsJson,
  type Direction,
  type DirectionMetrics,
  type EvaluateMetricsFile,
  type DistributionInfo,
  type MetricName,
  type Summary,
} from '../../core/formats/metrics-file.js';
import type { StageProgress } from '../../core/progress.js';
import type { EvaluateParams } from '../../core/stage-params.js';
import { describeBackend, initBackend, type BackendInfo } from '../backend.js';
import { openPrepared } from '../data/prepared.js';
import { toTensor } from '../data/sampler.js';
import type { PreparedImages } from '../data/types.js';
import { unitRangeToRgb, writePng, type RgbImage } from '../io/image.js';
import { DISTRIBUTION_METRICS, FID_MIN_UNBIASED_IMAGES, PAIR_METRICS } from '../metrics/definitions.js';
import type { DistributionScorer, FeatureCollector } from '../metrics/distribution.js';
import { createPairScorer, type PairScorer } from '../metrics/pair-scorer.js';
import { SSIM_WINDOW } from '../metrics/ssim.js';
import { summarizeImages, summarizeSpeed } from '../metrics/summaries.js';
import { loadGenerators, type Generator } from '../train/generators.js';
import { eventLoopYielder } from '../../core/event-loop.js';

/** Inputs and targets kept for the report's image grid (report.samples reads the first ones). */
export const REFERENCE_IMAGES = 16;

export interface EvaluateOptions {
  params: EvaluateParams;
  /** The dataset stage's output folder. */
  datasetDir: string;
  /** The train stage's output folder. */
  trainDir: string;
  outDir: string;
  backend: BackendName;
  /** wasm threads (--threads); undefined for the backend's default. */
  threads?: number;
  /** The pipeline's backend_options.webgpu. */
  webgpu?: WebgpuOptions;
  weightsDir?: string;
  downloadDir: string;
  progress(p: StageProgress): void;
  log(line: string): void;
  signal: AbortSignal;
}

export interface EvaluateOutcome {
  backend: Record<string, unknown>;
  /** Metric -> mean over images of the primary direction. */
  summary: Record<string, number>;
}

/** One generator over one side of the split: A -> B, and for CycleGAN also B -> A. */
interface DirectionPlan {
  dir: Direction;
  gen: Generator;
  from: PreparedImages;
  to: PreparedImages;
  /** Images evaluated (evaluate.max_images caps the split). */
  n: number;
}

/** Where progress stands across all directions. */
interface Progress {
  done: number;
  total: number;
}

export async function evaluateModel(o: EvaluateOptions): Promise<EvaluateOutcome> {
  const ev = o.params.evaluate;
  const metrics = ev.metrics as MetricName[];
  const pairMetrics = PAIR_METRICS.filter((m) => metrics.includes(m));
  checkEvaluable(o.params, pairMetrics.includes('ssim'));
  const info = await initBackend(o.backend, { threads: o.threads, webgpu: o.webgpu });
  const ds = await openPrepared(o.datasetDir);
  const gens = await loadGenerators(o.trainDir);
  const scorer = await createPairScorer({
    metrics: pairMetrics,
    lpipsNet: ev.lpips_net,
    weightsDir: o.weightsDir,
    downloadDir: o.downloadDir,
  });
  const dist = await createDistribution(o, metrics);
  try {
    const plans = planDirections(gens, ds.eval.A, ds.eval.B, ev.max_images);
    const total = plans.reduce((n, p) => n + p.n, 0);
    if (total === 0) {
      throw new StageUserError(
        'PIPE_EVAL_EMPTY',
        `The evaluation split "${ds.evalSplit}" has no images; choose another evaluate.split.`,
      );
    }
    const aligned = ds.layout === 'aligned';
    const progress: Progress = { done: 0, total };
    const directions: Partial<Record<Direction, DirectionMetrics>> = {};
    for (const plan of plans)
      directions[plan.dir] = await evaluateDirection(o, plan, { scorer, dist, info, aligned, progress });
    const primary = directions.AtoB!;
    const file: EvaluateMetricsFile = {
      format: 'pipe.evaluate/1',
      split: ds.evalSplit,
      metrics,
      lpips_net: pairMetrics.includes('lpips') ? ev.lpips_net : null,
      bootstrap: ev.bootstrap,
      backend: describeBackend(info),
      primary: 'AtoB',
      directions,
      summary: primary.summary,
      images: primary.images,
      speed: primary.speed,
    };
    await writeMetricsJson(path.join(o.outDir, 'metrics.json'), file);
    return {
      backend: describeBackend(info),
      summary: Object.fromEntries(Object.entries(primary.summary).map(([m, s]) => [m, s.mean])),
    };
  } finally {
    scorer.dispose();
    dist?.dispose();
    gens.dispose();
  }
}

function checkEvaluable(params: EvaluateParams, ssim: boolean): void {
  if (ssim && params.dataset.crop_size < SSIM_WINDOW) {
    throw new StageUserError(
      'PIPE_EVAL_TOO_SMALL',
      `dataset.crop_size ${params.dataset.crop_size} is smaller than SSIM's ${SSIM_WINDOW}x${SSIM_WINDOW} window; raise crop_size or leave ssim out of evaluate.metrics.`,
    );
  }
}

function planDirections(
  gens: { AtoB: Generator; BtoA?: Generator },
  a: PreparedImages,
  b: PreparedImages,
  maxImages: number | null,
): DirectionPlan[] {
  const cap = (from: PreparedImages) => Math.min(from.count, maxImages ?? Infinity);
  const plans: DirectionPlan[] = [{ dir: 'AtoB', gen: gens.AtoB, from: a, to: b, n: cap(a) }];
  if (gens.BtoA) plans.push({ dir: 'BtoA', gen: gens.BtoA, from: b, to: a, n: cap(b) });
  return plans;
}

interface DirectionContext {
  scorer: PairScorer;
  /** FID/KID, when evaluate.metrics asks for them. */
  dist: DistributionScorer | undefined;
  info: BackendInfo;
  aligned: boolean;
  progress: Progress;
}

/** Runs, saves and scores every image of one direction; then its summaries and speed. */
async function evaluateDirection(
  o: EvaluateOptions,
  plan: DirectionPlan,
  c: DirectionContext,
): Promise<DirectionMetrics> {
  const { dir, from, to, n } = plan;
  const ev = o.params.evaluate;
  const size = from.size;
  const outRel = path.join('images', dir);
  for (const sub of [outRel, path.join('inputs', dir), path.join('targets', dir)]) {
    await fs.mkdir(path.join(o.outDir, sub), { recursive: true });
  }
  const images: DirectionMetrics['images'] = {};
  const times: number[] = [];
  const generated = c.dist?.collector();
  // Warm-up: the first call compiles kernels / allocates; it is not timed.
  await predictOne(plan.gen, from, 0);
  for (let i = 0; i < n; i++) {
    if (o.signal.aborted) throw o.signal.reason ?? new Error('evaluation aborted');
    const t0 = performance.now();
    const values = await predictOne(plan.gen, from, i);
    times.push(performance.now() - t0);
    const output = unitRangeToRgb(values, size, size);
    const input: RgbImage = { width: size, height: size, data: from.get(i) };
    const reference: RgbImage = c.aligned ? { width: size, height: size, data: to.get(i) } : input;
    await saveImages(o.outDir, dir, from.names[i], i, { output, input, reference: c.aligned ? reference : undefined });
    images[from.names[i]] = await c.scorer.score(output, reference);
    await generated?.add(output);
    c.progress.done++;
    o.progress({ message: `${dir} ${i + 1}/${n}`, fraction: c.progress.done / c.progress.total });
  }
  const metrics = ev.metrics as MetricName[];
  const summary = summarizeImages(images, metrics, ev.bootstrap);
  const { speed, fps } = summarizeSpeed(times, 1, c.info.name, ev.bootstrap);
  if (metrics.includes('fps')) summary.fps = fps;
  const distribution = c.dist && generated ? await scoreDistribution(o, c.dist, generated, to, summary) : undefined;
  o.log(`${dir}: ${n} images, ${speed.ms_per_image.toFixed(1)} ms/image on ${c.info.name}`);
  return { reference: c.aligned ? 'target' : 'input', outputs: outRel, images, summary, speed, distribution };
}

/**
 * The generator's output for image i, in [-1, 1]. Read asynchronously: webgpu in Node has no synchronous read
 * (and awaiting it makes the timing include the GPU).
 */
async function predictOne(gen: Generator, from: PreparedImages, i: number): Promise<ArrayLike<number>> {
  const x = tf.tensor4d(toTensor(from, i), [1, from.size, from.size, 3]);
  try {
    const y = gen.predict(x);
    try {
      return await y.data();
    } finally {
      y.dispose();
    }
  } finally {
    x.dispose();
  }
}

const stem = (name: string) => name.replace(/\.[^.]+$/, '');

/** Every output; the first REFERENCE_IMAGES inputs and targets too, for the report's image grid. */
async function saveImages(
  outDir: string,
  dir: Direction,
  name: string,
  i: number,
  images: { output: RgbImage; input: RgbImage; reference?: RgbImage },
): Promise<void> {
  await writePng(path.join(outDir, 'images', dir, `${stem(name)}.png`), images.output);
  if (i >= REFERENCE_IMAGES) return;
  await writePng(path.join(outDir, 'inputs', dir, `${stem(name)}.png`), images.input);
  if (images.reference) await writePng(path.join(outDir, 'targets', dir, `${stem(name)}.png`), images.reference);
}

/** The FID/KID scorer (Inception-v3 features), loaded only when evaluate.metrics asks for fid or kid. */
async function createDistribution(
  o: EvaluateOptions,
  metrics: readonly MetricName[],
): Promise<DistributionScorer | undefined> {
  const distMetrics = DISTRIBUTION_METRICS.filter((m) => metrics.includes(m));
  if (!distMetrics.length) return undefined;
  const { createDistributionScorer } = await import('../metrics/distribution.js');
  return createDistributionScorer({
    metrics: distMetrics,
    weightsDir: o.weightsDir,
    downloadDir: o.downloadDir,
    kidSubsetSize: o.params.evaluate.kid_subset_size,
    kidSubsets: o.params.evaluate.kid_subsets,
  });
}

/**
 * FID/KID of one direction: every generated output against every real image of the target domain in the split
 * (capped by max_images), written into `summary` (FID: the value; KID: mean and std over subsets).
 */
async function scoreDistribution(
  o: EvaluateOptions,
  dist: DistributionScorer,
  generated: FeatureCollector,
  to: PreparedImages,
  summary: Partial<Record<MetricName, Summary>>,
): Promise<DistributionInfo> {
  const real = dist.collector();
  const n = Math.min(to.count, o.params.evaluate.max_images ?? Infinity);
  const yieldTurn = eventLoopYielder(); // no I/O in this loop: let a stop signal through
  for (let i = 0; i < n; i++) {
    await yieldTurn();
    if (o.signal.aborted) throw o.signal.reason ?? new Error('evaluation aborted');
    await real.add({ width: to.size, height: to.size, data: to.get(i) });
    o.progress({ message: `Inception features of real images ${i + 1}/${n}` });
  }
  if (generated.count < 2 || real.count < 2)
    throw new StageUserError(
      'PIPE_EVAL_TOO_FEW_FOR_FID',
      `fid and kid need at least 2 generated and 2 real images; the split has ${generated.count} and ` +
        `${real.count}. Use a larger evaluate.split or drop fid/kid from evaluate.metrics.`,
    );
  const r = dist.score(generated.set(), real.set());
  const point = (v: number, count: number, std = 0): Summary => ({ n: count, mean: v, std, ci_low: v, ci_high: v });
  if (r.fid !== undefined) summary.fid = point(r.fid, generated.count);
  if (r.kid) summary.kid = point(r.kid.mean, r.kid.values.length, r.kid.std);
  return {
    generated: generated.count,
    real: real.count,
    fid_biased: Math.min(generated.count, real.count) < FID_MIN_UNBIASED_IMAGES,
    kid_subset_size: r.kid?.subsetSize ?? null,
    kid_subsets: r.kid?.values.length ?? null,
    inception: { file: dist.source.file, sha256: dist.source.sha256 },
  };
}
