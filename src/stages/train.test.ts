import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrainSummary } from '../core/formats/train-summary.js';
import type { TrainParams } from '../core/stage-params.js';
import { trainParams } from '../ml/train/test-params.js';
import type { StageProgress } from '../core/progress.js';
import { preparedFacades, stageContext } from './test-stages.js';
import { trainStage } from './train.js';

let tmp: string;
let dataset: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-trainstage-'));
  dataset = await preparedFacades(tmp);
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
    const ctx = await stageContext(tmp, 'train', params, { inputs: { dataset }, seen });
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
    const params = trainParams({ dataset: { load_size: 64, crop_size: 64 } });
    const ctx = await stageContext(tmp, 'bad-crop', params, { inputs: { dataset } });
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
    const ctx = {
      ...(await stageContext(tmp, 'stopped', params, { inputs: { dataset } })),
      signal: stop.signal,
      progress,
    };
    await expect(trainStage.run(ctx)).rejects.toThrow('received SIGTERM');
    const samples = await fs.readdir(path.join(ctx.workDir, 'samples')).catch(() => []);
    expect(samples).toEqual([]);
  });
});
