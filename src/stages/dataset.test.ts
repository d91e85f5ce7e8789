import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA_DIR } from '../../test/shared-paths.js';
import type { DatasetParams } from '../core/stage-params.js';
import { openPrepared } from '../ml/data/prepared.js';
import { datasetStage } from './dataset.js';
import { FACADES_32 } from './test-stages.js';
import type { StageContext, StageEnv } from './types.js';
import type { StageProgress } from '../core/progress.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-dsstage-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const params: DatasetParams = FACADES_32;

function context(p: DatasetParams, env: StageEnv, outDir: string, seen: StageProgress[]): StageContext<DatasetParams> {
  return {
    stageId: 'dataset',
    fingerprint: 'f',
    params: p,
    inputs: {},
    outDir,
    workDir: path.join(tmp, 'work'),
    env,
    progress: (pr) => seen.push(pr),
    log: () => {},
    signal: new AbortController().signal,
  };
}

describe('dataset stage', () => {
  const env = (): StageEnv => ({
    projectDir: tmp,
    dataDir: SHARED_DATA_DIR,
    backend: 'cpu',
    downloadDir: path.join(tmp, 'dl'),
  });

  it('lists the source images it will read, for the fingerprint', async () => {
    const files = await datasetStage.sourceFiles!(params, env());
    expect(files).toHaveLength(102);
    expect(files[0]).toBe(path.join(SHARED_DATA_DIR, 'facades/train/1.jpg'));
    expect(files).toContain(path.join(SHARED_DATA_DIR, 'facades/val/100.jpg'));
    // Not local and no downloads while fingerprinting: nothing to list.
    expect(await datasetStage.sourceFiles!({ ...params, source: 'horse2zebra', layout: 'unaligned' }, env())).toEqual(
      [],
    );
  });

  it('publishes a prepared dataset train/evaluate can open, reporting progress', async () => {
    const out = path.join(tmp, 'out');
    await fs.mkdir(out);
    const seen: StageProgress[] = [];
    const result = await datasetStage.run(context(params, env(), out, seen));
    expect(result?.summary).toMatchObject({
      train: { split: 'train', size: 36, A: 2, B: 2 },
      eval: { split: 'val', size: 32, A: 100 },
    });
    expect(seen.at(-1)).toMatchObject({ fraction: 1, step: 102, totalSteps: 102 });
    const ds = await openPrepared(out);
    expect(ds.direction).toBe('BtoA');
    expect(ds.train.A.get(1)).toHaveLength(36 * 36 * 3);
    expect(ds.eval.B.names[99]).toBe('100.jpg');
    expect((await fs.readdir(out)).sort()).toEqual([
      'dataset.json',
      'eval.A.u8',
      'eval.B.u8',
      'train.A.u8',
      'train.B.u8',
    ]);
  });

  it('refuses a crop larger than the load size', async () => {
    await expect(datasetStage.sourceFiles!({ ...params, crop_size: 64 }, env())).rejects.toThrow(
      /crop_size \(64\) is larger than dataset.load_size \(36\)/,
    );
  });
});
