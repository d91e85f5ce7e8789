import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../../test/shared-paths.js';
import { readTrainSummary } from '../core/formats/train-summary.js';
import type { DatasetParams, TrainParams } from '../core/stage-params.js';
import { trainParams } from '../ml/train/test-params.js';
import { datasetStage } from './dataset.js';
import { trainStage } from './train.js';
import type { StageContext, StageEnv } from './types.js';
import type { StageProgress } from '../core/progress.js';

let tmp: string;
let dataset: string;
const env = (): StageEnv => ({
  projectDir: tmp,
  dataDir: SHARED_DATA_DIR,
  weightsDir: SHARED_WEIGHTS_DIR,
  backend: 'wasm',
  downloadDir: path.join(tmp, 'dl'),
});

function context<P>(
  params: P,
  inputs: Record<string, string>,
  name: string,
  seen: StageProgress[] = [],
): StageContext<P> {
  return {
    stageId: name,
    fingerprint: name,
    params,
    inputs,
    outDir: path.join(tmp, name, 'out'),
    workDir: path.join(tmp, name, 'work'),
    env: env(),
    progress: (p) => seen.push(p),
    log: () => {},
    signal: new AbortController().signal,
  };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-trainstage-'));
  const params: DatasetParams = {
    source: 'facades',
    path: null,
    layout: 'aligned',
    direction: 'BtoA',
    load_size: 36,
    crop_size: 32,
    max_images: 2,
    train_split: 'train',
    eval_split: 'val',
  };
  const ctx = context(params, {}, 'dataset');
  await fs.mkdir(ctx.outDir, { recursive: true });
  await datasetStage.run(ctx);
  dataset = ctx.outDir;
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('train stage', () => {
  it('trains with a perceptual term through the vgg19/keras backbone and publishes its outputs', async () => {
    const params: TrainParams = trainParams({
      dataset: { load_size: 36, crop_size: 32 },
      model: { ngf: 4, ndf: 4 },
      loss: {
        l1: { weight: 0 },
        perceptual: { weight: 1, backbone: 'vgg19', weights: 'keras', layers: { relu2_2: 1 } },
      },
      train: { epochs: 1, epochs_decay: 1, steps_per_epoch: 2 },
    });
    const seen: StageProgress[] = [];
    const ctx = context(params, { dataset }, 'train', seen);
    await fs.mkdir(ctx.outDir, { recursive: true });
    const result = await trainStage.run(ctx);
    const files = (await fs.readdir(ctx.outDir)).sort();
    expect(files).toEqual(['losses.jsonl', 'model.json', 'samples', 'train.json', 'weights.bin', 'weights.json']);
    const train = await readTrainSummary(path.join(ctx.outDir, 'train.json'));
    expect(train.format).toBe('pipe.train/1');
    expect(train.steps).toBe(4);
    expect(train.backend['name']).toBe('wasm');
    expect(train.parameterCounts.G).toBeGreaterThan(0);
    expect(train.finalLosses.G_perceptual).toBeGreaterThan(0);
    expect(result && result.summary?.steps).toBe(4);
    expect(seen.at(-1)).toMatchObject({ step: 4, totalSteps: 4, fraction: 1 });
  });

  it('rejects a crop larger than the prepared images with a user error', async () => {
    const ctx = context(trainParams({ dataset: { load_size: 64, crop_size: 64 } }), { dataset }, 'bad-crop');
    await expect(trainStage.run(ctx)).rejects.toMatchObject({ code: 'PIPE_TRAIN_CROP' });
  });

  it('stops within the epoch when the run is stopped (the loop lets timers and signals through)', async () => {
    const params = trainParams({
      dataset: { load_size: 36, crop_size: 32 },
      model: { ngf: 4, ndf: 4 },
      train: { epochs: 1, epochs_decay: 0, steps_per_epoch: 5000 },
    });
    const stop = new AbortController();
    let armed = false;
    // Stop 300 ms after the first step, from a timer: a macrotask, like a signal handler. Before the fix it could
    // only fire after the epoch's sample was written, that is after all 5000 steps.
    const progress = () => {
      if (!armed) setTimeout(() => stop.abort(new Error('received SIGTERM')), 300);
      armed = true;
    };
    const ctx = { ...context(params, { dataset }, 'stopped'), signal: stop.signal, progress };
    await fs.mkdir(ctx.outDir, { recursive: true });
    await expect(trainStage.run(ctx)).rejects.toThrow('received SIGTERM');
    const samples = await fs.readdir(path.join(ctx.workDir, 'samples')).catch(() => []);
    expect(samples).toEqual([]);
  });
});
