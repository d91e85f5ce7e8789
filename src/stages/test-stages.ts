// Test support for running stage kinds directly: a StageContext with its folders under one temporary folder, and
// a small prepared facades dataset (2 training images, loaded at 36² and cropped to 32²) for training stages.
import fs from 'node:fs/promises';
import path from 'node:path';
import { SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../../test/shared-paths.js';
import type { StageProgress } from '../core/progress.js';
import type { DatasetParams } from '../core/stage-params.js';
import { datasetStage } from './dataset.js';
import type { StageContext, StageEnv } from './types.js';

export const FACADES_32: DatasetParams = {
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

/** A stage's environment on this machine: the shared mirrors, downloads under `tmp`, wasm unless `env` says. */
export function testEnv(tmp: string, env: Partial<StageEnv> = {}): StageEnv {
  return {
    projectDir: tmp,
    dataDir: SHARED_DATA_DIR,
    weightsDir: SHARED_WEIGHTS_DIR,
    backend: 'wasm',
    downloadDir: path.join(tmp, 'dl'),
    ...env,
  };
}

/** A context for stage `name`, its outputs in tmp/name/out (made empty) and checkpoints in tmp/name/work. */
export async function stageContext<P>(
  tmp: string,
  name: string,
  params: P,
  o: { inputs?: Record<string, string>; env?: Partial<StageEnv>; seen?: StageProgress[] } = {},
): Promise<StageContext<P>> {
  const outDir = path.join(tmp, name, 'out');
  await fs.mkdir(outDir, { recursive: true });
  return {
    stageId: name,
    fingerprint: name,
    params,
    inputs: o.inputs ?? {},
    outDir,
    workDir: path.join(tmp, name, 'work'),
    env: testEnv(tmp, o.env),
    progress: (p) => o.seen?.push(p),
    log: () => undefined,
    signal: new AbortController().signal,
  };
}

/** FACADES_32 prepared by the dataset stage under tmp/dataset; returns its output folder. */
export async function preparedFacades(tmp: string): Promise<string> {
  const ctx = await stageContext(tmp, 'dataset', FACADES_32);
  await datasetStage.run(ctx);
  return ctx.outDir;
}
