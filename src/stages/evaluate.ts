// The `evaluate` stage: scores the trained generator(s) on the evaluation split and writes metrics.json, the
// output images and the inputs/targets the report shows. The work is ml/evaluate/run.ts's (loaded lazily, so
// `pipe validate` and `pipe plan` never load TensorFlow.js).
import type { EvaluateParams } from '../core/stage-params.js';
import type { StageContext, StageKind } from './types.js';

export const evaluateStage: StageKind<EvaluateParams> = {
  kind: 'evaluate',
  version: 1,
  async run(ctx: StageContext<EvaluateParams>) {
    const { evaluateModel } = await import('../ml/evaluate/run.js');
    return evaluateModel({
      params: ctx.params,
      datasetDir: ctx.inputs.dataset,
      trainDir: ctx.inputs.train,
      outDir: ctx.outDir,
      backend: ctx.env.backend,
      threads: ctx.env.threads,
      webgpu: ctx.env.webgpu,
      weightsDir: ctx.env.weightsDir,
      downloadDir: ctx.env.downloadDir,
      progress: (p) => ctx.progress(p),
      log: (line) => ctx.log(line),
      signal: ctx.signal,
    });
  },
};
