// The `dataset` stage: a thin adapter from DatasetParams to src/ml/data. Finds the images (path:, mirror,
// cache, download), prepares the training split at load_size and the evaluation split at crop_size, and
// publishes the raw uint8 form that train/evaluate open with openPrepared().
import type { DatasetParams } from '../core/stage-params.js';
import { locateDataset, type LocateOptions } from '../ml/data/locate.js';
import { planFiles, planSources, prepareDataset, type PrepareSpec } from '../ml/data/prepare.js';
import type { StageEnv, StageKind } from './types.js';
import { StageUserError } from '../core/errors.js';

function specOf(p: DatasetParams): PrepareSpec {
  if (p.crop_size > p.load_size) {
    throw new StageUserError(
      'PIPE_DATASET_SIZES',
      `dataset.crop_size (${p.crop_size}) is larger than dataset.load_size (${p.load_size}); training crops load_size images down to crop_size.`,
    );
  }
  return {
    layout: p.layout,
    direction: p.direction,
    loadSize: p.load_size,
    cropSize: p.crop_size,
    maxImages: p.max_images ?? null,
    trainSplit: p.train_split,
    evalSplit: p.eval_split,
  };
}

function locateOptions(env: StageEnv, download: boolean): LocateOptions {
  return { projectDir: env.projectDir, dataDir: env.dataDir, downloadDir: env.downloadDir, download };
}

const mb = (n: number) => (n / 1e6).toFixed(1);

export const datasetStage: StageKind<DatasetParams> = {
  kind: 'dataset',
  version: 1,

  async sourceFiles(params, env) {
    const found = await locateDataset(params, locateOptions(env, false));
    if (!found) return [];
    return planFiles(await planSources(found.root, specOf(params)));
  },

  async run(ctx) {
    const spec = specOf(ctx.params);
    const what = ctx.params.path ? `folder ${ctx.params.path}` : `dataset "${ctx.params.source}"`;
    let lastReport = 0;
    const found = await locateDataset(ctx.params, {
      ...locateOptions(ctx.env, true),
      signal: ctx.signal,
      onProgress: (bytes, total) => {
        // Chunks arrive thousands of times a second; the progress display needs a few updates.
        const now = Date.now();
        if (now - lastReport < 250 && bytes !== total) return;
        lastReport = now;
        ctx.progress({
          message: `downloading ${what}: ${mb(bytes)}${total ? ` / ${mb(total)}` : ''} MB`,
          fraction: total ? bytes / total : undefined,
        });
      },
    });
    if (!found) throw new Error('locateDataset returned nothing with downloads allowed');
    ctx.log(`${what}: images from ${found.root} (${found.how})`);
    const plan = await planSources(found.root, spec);
    const manifest = await prepareDataset(plan, spec, ctx.outDir, {
      checksums: found.checksums,
      signal: ctx.signal,
      source: {
        name: found.name ?? null,
        root: found.root,
        how: found.how,
        verifiedBySha256Sums: found.checksums.size > 0,
      },
      onProgress: (done, total) =>
        ctx.progress({
          message: `preparing images ${done}/${total}`,
          fraction: done / total,
          step: done,
          totalSteps: total,
        }),
    });
    return {
      summary: {
        layout: manifest.layout,
        direction: manifest.direction,
        train: {
          split: manifest.train.split,
          size: manifest.train.size,
          A: manifest.train.A.count,
          B: manifest.train.B.count,
        },
        eval: {
          split: manifest.eval.split,
          size: manifest.eval.size,
          A: manifest.eval.A.count,
          B: manifest.eval.B.count,
        },
        sourceDigest: manifest.sourceDigest,
      },
    };
  },
};
