// Trains the model a train config describes on a prepared split and publishes the generators:
// weights.json + weights.bin (every generator, `<net>/<param>`), model.json (what loadGenerators needs),
// losses.jsonl, samples/ and train.json.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainParams } from '../../core/stage-params.js';
import type { PreparedSplit } from '../data/types.js';
import { FeatureCriterion, featureLayers, type FeatureExtractor } from '../losses/feature-criterion.js';
import { LpipsCriterion, type LpipsFeatureSource } from '../losses/lpips-loss.js';
import { writeTensors } from '../models/tensor-file.js';
import type { NamedArray, WeightMap } from '../weights/types.js';
import { loadInto } from './init-from.js';
import { batchSource } from './batches.js';
import { CycleGanTrainer } from './cyclegan.js';
import type { GanTrainer, TrainerConfig } from './gan-trainer.js';
import { registerGradients } from './gradients.js';
import { trainLoop, type LoopOptions, type LoopResult } from './loop.js';
import { Pix2pixTrainer } from './pix2pix.js';
import { MODEL_FILE, WEIGHTS_BASE, type SavedModel } from './saved-model.js';

export { MODEL_FILE, WEIGHTS_BASE, type SavedModel } from './saved-model.js';

export interface TrainOptions extends Pick<
  LoopOptions,
  'workDir' | 'outDir' | 'progress' | 'log' | 'signal' | 'stopAfterEpochs'
> {
  params: TrainParams;
  split: PreparedSplit;
  /** The frozen backbone; required when the perceptual or style weight is non-zero. */
  extractor?: FeatureExtractor;
  /** model.init_from, already read: its tensors start the first generator (G / G_A). */
  init?: { file: string; weights: WeightMap };
  /** The LPIPS network; required when loss.lpips.weight is non-zero. */
  lpips?: LpipsFeatureSource;
}

export interface TrainOutcome extends LoopResult {
  paramCounts: Record<string, number>;
}

export function needsBackbone(loss: TrainParams['loss']): boolean {
  return featureLayers(lossFeatureConfig(loss)).length > 0;
}

const lossFeatureConfig = (loss: TrainParams['loss']) => ({ perceptual: loss.perceptual, style: loss.style });

/** Images the feature scale of normalize: auto is measured on: the first targets (CycleGAN: both domains). */
export const CALIBRATION_IMAGES = 8;

function calibrationBatch(split: PreparedSplit, cyclegan: boolean): tf.Tensor4D {
  const take = (imgs: PreparedSplit['A'], n: number) =>
    Array.from({ length: Math.min(n, imgs.count) }, (_, i) => imgs.get(i));
  const list = cyclegan
    ? [...take(split.A, CALIBRATION_IMAGES / 2), ...take(split.B, CALIBRATION_IMAGES / 2)]
    : take(split.B, CALIBRATION_IMAGES);
  const s = split.B.size;
  const bytes = new Float32Array(list.length * s * s * 3);
  list.forEach((img, i) =>
    bytes.set(
      Float32Array.from(img, (v) => v / 127.5 - 1),
      i * s * s * 3,
    ),
  );
  return tf.tensor4d(bytes, [list.length, s, s, 3]);
}

/**
 * `calibration`: the training split, whose first images set normalize: auto's feature scale (or, in benchmarks,
 * a batch of targets in [-1, 1]).
 */
export async function createTrainer(
  params: TrainParams,
  extractor?: FeatureExtractor,
  calibration?: PreparedSplit | tf.Tensor4D,
  lpipsNet?: LpipsFeatureSource,
): Promise<GanTrainer> {
  let features: FeatureCriterion | undefined;
  if (needsBackbone(params.loss)) {
    if (!extractor) throw new Error('the perceptual/style loss needs a backbone feature extractor');
    features = new FeatureCriterion(extractor, lossFeatureConfig(params.loss));
    if (calibration instanceof tf.Tensor) await features.calibrate(calibration);
    else if (calibration) {
      const x = calibrationBatch(calibration, params.model.kind === 'cyclegan');
      await features.calibrate(x);
      x.dispose();
    }
  }
  let lpips: LpipsCriterion | undefined;
  if (params.loss.lpips.weight > 0) {
    if (!lpipsNet) throw new Error('the LPIPS loss needs an LPIPS network');
    lpips = new LpipsCriterion(lpipsNet);
  }
  const cfg: TrainerConfig = {
    model: params.model,
    loss: params.loss,
    train: params.train,
    cropSize: params.dataset.crop_size,
    features,
    lpips,
  };
  const trainer = params.model.kind === 'cyclegan' ? new CycleGanTrainer(cfg) : new Pix2pixTrainer(cfg);
  if (features) {
    const dispose = trainer.dispose.bind(trainer);
    trainer.dispose = () => {
      dispose();
      features!.dispose();
    };
  }
  return trainer;
}

export async function trainModel(o: TrainOptions): Promise<TrainOutcome> {
  const { params } = o;
  await registerGradients();
  const trainer = await createTrainer(params, o.extractor, o.split, o.lpips);
  try {
    let running: Record<string, NamedArray> = {};
    if (o.init) {
      running = loadInto(
        trainer.nets.nets[trainer.generators.AtoB].params,
        o.init.weights,
        params.model,
        params.dataset.crop_size,
        o.init.file,
      );
      o.log?.(`generator ${trainer.generators.AtoB} starts from ${o.init.file}`);
    }
    const data = batchSource(o.split, {
      layout: params.model.kind === 'cyclegan' ? 'unaligned' : 'aligned',
      cropSize: params.dataset.crop_size,
      flip: params.dataset.flip,
      batchSize: params.train.batch_size,
      seed: params.train.seed,
    });
    const result = await trainLoop({
      trainer,
      data,
      train: params.train,
      workDir: o.workDir,
      outDir: o.outDir,
      progress: o.progress,
      log: o.log,
      signal: o.signal,
      stopAfterEpochs: o.stopAfterEpochs,
    });
    if (o.stopAfterEpochs === undefined || result.epochs === params.train.epochs + params.train.epochs_decay) {
      // Without a training step the imported batch-norm running statistics still describe the weights.
      await publish(trainer, params, o.workDir, o.outDir, result.steps === 0 ? running : {});
    }
    return { ...result, paramCounts: trainer.nets.paramCounts() };
  } finally {
    trainer.dispose();
  }
}

async function publish(
  trainer: GanTrainer,
  params: TrainParams,
  workDir: string,
  outDir: string,
  running: Record<string, NamedArray>,
): Promise<void> {
  const weights: Record<string, tf.Tensor> = {};
  const names = Object.values(trainer.generators).filter((n): n is string => !!n);
  for (const n of names) for (const [k, v] of Object.entries(trainer.nets.nets[n].params)) weights[`${n}/${k}`] = v;
  const extra = Object.entries(running).map(
    ([k, v]) => [`${trainer.generators.AtoB}/${k}`, tf.tensor(v.data, v.shape)] as const,
  );
  for (const [k, t] of extra) weights[k] = t;
  try {
    await writeTensors(outDir, WEIGHTS_BASE, weights);
  } finally {
    for (const [, t] of extra) t.dispose();
  }
  const saved: SavedModel = {
    format: 'pipe-generators',
    version: 1,
    kind: params.model.kind,
    model: params.model,
    cropSize: params.dataset.crop_size,
    seed: params.train.seed,
    generators: trainer.generators,
    dataset: { layout: params.dataset.layout, direction: params.dataset.direction },
  };
  await fs.writeFile(path.join(outDir, MODEL_FILE), JSON.stringify(saved, null, 2));
  await fs.cp(path.join(workDir, 'samples'), path.join(outDir, 'samples'), { recursive: true });
}
