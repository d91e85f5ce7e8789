// Trains the model a train config describes on a prepared split and publishes the generators:
// weights.json + weights.bin (every generator, `<net>/<param>`), model.json (what loadGenerators needs),
// losses.jsonl, samples/ and train.json.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TrainParams } from '../../core/stage-params.js';
import type { PreparedSplit } from '../data/types.js';
import { FeatureCriterion, featureLayers, type FeatureExtractor } from '../losses/feature-criterion.js';
import { writeTensors } from '../models/tensor-file.js';
import { batchSource } from './batches.js';
import { CycleGanTrainer } from './cyclegan.js';
import type { GanTrainer, TrainerConfig } from './gan-trainer.js';
import { registerGradients } from './gradients.js';
import { trainLoop, type LoopOptions, type LoopResult } from './loop.js';
import { Pix2pixTrainer } from './pix2pix.js';
import { MODEL_FILE, WEIGHTS_BASE, type SavedModel } from './saved-model.js';

export { MODEL_FILE, WEIGHTS_BASE, type SavedModel } from './saved-model.js';

export interface TrainOptions extends Pick<LoopOptions, 'workDir' | 'outDir' | 'progress' | 'log' | 'signal' | 'stopAfterEpochs'> {
  params: TrainParams;
  split: PreparedSplit;
  /** The frozen backbone; required when the perceptual or style weight is non-zero. */
  extractor?: FeatureExtractor;
}

export interface TrainOutcome extends LoopResult {
  paramCounts: Record<string, number>;
}

export function needsBackbone(loss: TrainParams['loss']): boolean {
  return featureLayers(lossFeatureConfig(loss)).length > 0;
}

const lossFeatureConfig = (loss: TrainParams['loss']) => ({ perceptual: loss.perceptual, style: loss.style });

export function createTrainer(params: TrainParams, extractor?: FeatureExtractor): GanTrainer {
  let features: FeatureCriterion | undefined;
  if (needsBackbone(params.loss)) {
    if (!extractor) throw new Error('the perceptual/style loss needs a backbone feature extractor');
    features = new FeatureCriterion(extractor, lossFeatureConfig(params.loss));
  }
  const cfg: TrainerConfig = { model: params.model, loss: params.loss, train: params.train, cropSize: params.dataset.crop_size, features };
  const trainer = params.model.kind === 'cyclegan' ? new CycleGanTrainer(cfg) : new Pix2pixTrainer(cfg);
  if (features) {
    const dispose = trainer.dispose.bind(trainer);
    trainer.dispose = () => { dispose(); features!.dispose(); };
  }
  return trainer;
}

export async function trainModel(o: TrainOptions): Promise<TrainOutcome> {
  const { params } = o;
  await registerGradients();
  const trainer = createTrainer(params, o.extractor);
  try {
    const data = batchSource(o.split, {
      layout: params.model.kind === 'cyclegan' ? 'unaligned' : 'aligned',
      cropSize: params.dataset.crop_size, flip: params.dataset.flip, batchSize: params.train.batch_size, seed: params.train.seed,
    });
    const result = await trainLoop({ trainer, data, train: params.train, workDir: o.workDir, outDir: o.outDir, progress: o.progress, log: o.log, signal: o.signal, stopAfterEpochs: o.stopAfterEpochs });
    if (o.stopAfterEpochs === undefined || result.epochs === params.train.epochs + params.train.epochs_decay) {
      await publish(trainer, params, o.workDir, o.outDir);
    }
    return { ...result, paramCounts: trainer.nets.paramCounts() };
  } finally {
    trainer.dispose();
  }
}

async function publish(trainer: GanTrainer, params: TrainParams, workDir: string, outDir: string): Promise<void> {
  const weights: Record<string, tf.Tensor> = {};
  const names = Object.values(trainer.generators).filter((n): n is string => !!n);
  for (const n of names) for (const [k, v] of Object.entries(trainer.nets.nets[n].params)) weights[`${n}/${k}`] = v;
  await writeTensors(outDir, WEIGHTS_BASE, weights);
  const saved: SavedModel = {
    format: 'pipe-generators', version: 1, kind: params.model.kind, model: params.model,
    cropSize: params.dataset.crop_size, seed: params.train.seed, generators: trainer.generators,
  };
  await fs.writeFile(path.join(outDir, MODEL_FILE), JSON.stringify(saved, null, 2));
  await fs.cp(path.join(workDir, 'samples'), path.join(outDir, 'samples'), { recursive: true });
}
