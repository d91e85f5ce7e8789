// The `train` stage: trains pix2pix or CycleGAN on the dataset stage's prepared split and publishes
// weights.json + weights.bin (generators), model.json, losses.jsonl, samples/ and train.json. Checkpoints
// go to ctx.workDir, so a killed run resumes from its last checkpoint when rerun.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { TrainParams } from '../core/stage-params.js';
import { StageUserError } from '../core/errors.js';
import {
  TRAIN_SUMMARY,
  TRAIN_SUMMARY_FORMAT,
  type TrainSummary,
  type TrainSummaryFile,
} from '../core/formats/train-summary.js';
import type { StageContext, StageKind } from './types.js';

export const trainStage: StageKind<TrainParams> = {
  kind: 'train',
  version: 1,
  // model.init_from's bytes belong to the fingerprint (a URL's download is digested by the stage instead).
  async sourceFiles(params, env) {
    const initFrom = params.model.init_from;
    if (!initFrom) return [];
    const { localInitFile } = await import('../ml/train/init-from.js');
    const file = localInitFile(initFrom, env.projectDir);
    return file ? [file] : [];
  },
  // eslint-disable-next-line max-lines-per-function -- hand-off plus the out-of-memory text; to split next
  async run(ctx: StageContext<TrainParams>) {
    const [{ initBackend, describeBackend }, { openPrepared }, run, { featureLayers }, autotune] = await Promise.all([
      import('../ml/backend.js'),
      import('../ml/data/prepared.js'),
      import('../ml/train/run.js'),
      import('../ml/losses/feature-criterion.js'),
      import('../ml/webgpu/conv-autotune.js'),
    ]);
    const p = ctx.params;
    const info = await initBackend(ctx.env.backend, { threads: ctx.env.threads, webgpu: ctx.env.webgpu });
    const ds = await openPrepared(ctx.inputs.dataset);
    checkCompatible(p, ds.layout, ds.train.A.size);

    let extractor: import('../ml/backbones/index.js').Backbone | undefined;
    if (run.needsBackbone(p.loss)) {
      const { loadBackbone } = await import('../ml/backbones/index.js');
      extractor = await loadBackbone({
        name: p.loss.perceptual.backbone,
        weights: p.loss.perceptual.weights,
        weightsDir: ctx.env.weightsDir,
        downloadDir: ctx.env.downloadDir,
        layers: featureLayers({ perceptual: p.loss.perceptual, style: p.loss.style }),
      });
      ctx.log(`perceptual backbone ${extractor.name}/${extractor.weights} (${extractor.inputConvention})`);
    }
    let initSha: string | undefined;
    let init: { file: string; weights: import('../ml/weights/types.js').WeightMap } | undefined;
    if (p.model.init_from) {
      const { fetchInitFile, readGeneratorFile } = await import('../ml/train/init-from.js');
      const src = await fetchInitFile(p.model.init_from, ctx.env.projectDir, ctx.env.downloadDir, ctx.signal);
      init = { file: src.file, weights: await readGeneratorFile(src.file) };
      initSha = src.sha256;
      ctx.log(`model.init_from ${src.file} (sha256 ${src.sha256})`);
    }
    let lpips: import('../ml/metrics/lpips.js').Lpips | undefined;
    if (p.loss.lpips.weight > 0) {
      const { createLpips } = await import('../ml/metrics/lpips.js');
      lpips = await createLpips({
        net: p.loss.lpips.net,
        weightsDir: ctx.env.weightsDir,
        downloadDir: ctx.env.downloadDir,
      });
      ctx.log(`LPIPS loss ${lpips.net} (${lpips.sources.backbone}, heads ${lpips.sources.heads})`);
    }
    const started = Date.now();
    const tunedBefore = autotune.convTunings().length;
    try {
      const r = await run.trainModel({
        params: p,
        split: ds.train,
        extractor,
        lpips,
        workDir: ctx.workDir,
        outDir: ctx.outDir,
        init,
        progress: (x) => ctx.progress(x),
        log: (l) => ctx.log(l),
        signal: ctx.signal,
      });
      const summary: TrainSummary = {
        steps: r.steps,
        epochs: r.epochs,
        stepsPerEpoch: r.stepsPerEpoch,
        secondsPerStep: r.secondsPerStep,
        trainSeconds: r.seconds,
        wallSecondsThisRun: (Date.now() - started) / 1000,
        resumedFromEpoch: r.resumedFromEpoch,
        parameterCounts: r.paramCounts,
        finalLosses: r.finalLosses,
        trainImages: { A: ds.train.A.count, B: ds.train.B.count, size: ds.train.A.size, crop: p.dataset.crop_size },
        ...(initSha ? { initFrom: { source: p.model.init_from, sha256: initSha } } : {}),
        ...autotuneSince(autotune, tunedBefore),
      };
      const backend = describeBackend(info);
      const file: TrainSummaryFile = { format: TRAIN_SUMMARY_FORMAT, ...summary, backend };
      await fs.writeFile(path.join(ctx.outDir, TRAIN_SUMMARY), JSON.stringify(file, null, 2));
      return { backend, summary };
    } catch (err) {
      // Running out of the 4 GB wasm heap shows up as an emscripten abort or an out-of-bounds access in a kernel.
      if (
        info.name === 'wasm' &&
        err instanceof Error &&
        /Aborted\(|memory access out of bounds|out of memory/i.test(err.message)
      ) {
        throw new StageUserError(
          'PIPE_TRAIN_OUT_OF_MEMORY',
          `Training ${ctx.stageId} ran out of WebAssembly memory (the wasm backend has a 4 GB heap): ${p.model.generator} with ngf ${p.model.ngf} at ${p.dataset.crop_size}x${p.dataset.crop_size} ` +
            `is too large for it. Set train.recompute: true (activation recomputation), lower dataset.crop_size or model.ngf, or use a native backend (--backend tensorflow or tensorflow-gpu). ` +
            `The backend is not part of the fingerprint, so a rerun on another backend continues from the last checkpoint.`,
        );
      }
      throw err;
    } finally {
      extractor?.dispose();
      lpips?.dispose();
    }
  },
};

function checkCompatible(p: TrainParams, layout: 'aligned' | 'unaligned', size: number): void {
  const kind = p.model.kind;
  if (kind === 'pix2pix' && layout !== 'aligned')
    throw new StageUserError(
      'PIPE_TRAIN_LAYOUT',
      `model.kind pix2pix needs paired data (dataset.layout: aligned) but the dataset is ${layout}; use model.kind: cyclegan for unpaired folders.`,
    );
  if (p.dataset.crop_size > size)
    throw new StageUserError(
      'PIPE_TRAIN_CROP',
      `dataset.crop_size ${p.dataset.crop_size} is larger than the prepared images (${size}); set crop_size <= load_size.`,
    );
  if (p.model.generator === 'unet') {
    const d = Math.log2(p.dataset.crop_size);
    if (!Number.isInteger(d) || d < 5)
      throw new StageUserError(
        'PIPE_TRAIN_UNET_SIZE',
        `generator "unet" needs a power-of-two dataset.crop_size of at least 32 (got ${p.dataset.crop_size}); change crop_size or pick unet_128/unet_256/resnet_*.`,
      );
  }
  if (
    (p.model.generator === 'unet_256' && p.dataset.crop_size < 256) ||
    (p.model.generator === 'unet_128' && p.dataset.crop_size < 128)
  )
    throw new StageUserError(
      'PIPE_TRAIN_UNET_SIZE',
      `generator ${p.model.generator} needs dataset.crop_size >= ${p.model.generator.slice(5)} (got ${p.dataset.crop_size}); use generator: unet to pick the depth from the crop.`,
    );
}

/** PIPE_WEBGPU_CONV_AUTOTUNE=1: the convolution products this stage decided, if any. */
function autotuneSince(
  autotune: typeof import('../ml/webgpu/conv-autotune.js'),
  before: number,
): Pick<TrainSummary, 'convAutotune'> {
  const t = autotune.convTunings().slice(before);
  return t.length ? { convAutotune: autotune.convTuningSummary(t) } : {};
}
