// The `evaluate` stage: runs the trained generator(s) over the evaluation split, saves every output
// PNG, scores each output against its target (aligned data) or its input (unaligned data, where no
// target exists: a content-preservation score), and writes metrics.json with per-image values,
// mean/std/bootstrap interval per metric and the generator's speed at batch 1.
import path from 'node:path';
import type { EvaluateParams } from '../core/stage-params.js';
import type { Direction, DirectionMetrics, EvaluateMetricsFile, MetricName, PairMetricName } from '../core/formats/metrics-file.js';
import { PAIR_METRICS } from '../ml/metrics/definitions.js';
import { StageUserError } from '../core/errors.js';
import type { StageContext, StageKind } from './types.js';

/** Inputs and targets kept for the report's image grid (report.samples reads the first ones). */
export const REFERENCE_IMAGES = 16;
const stem = (name: string) => name.replace(/\.[^.]+$/, '');

export const evaluateStage: StageKind<EvaluateParams> = {
  kind: 'evaluate',
  version: 1,
  async run(ctx: StageContext<EvaluateParams>) {
    const [{ initBackend, describeBackend }, tf, { openPrepared }, { toTensor }, { loadGenerators }, { writePng, unitRangeToRgb }] =
      await Promise.all([
        import('../ml/backend.js'),
        import('@tensorflow/tfjs-core'),
        import('../ml/data/prepared.js'),
        import('../ml/data/sampler.js'),
        import('../ml/train/generators.js'),
        import('../ml/io/image.js'),
      ]);
    const { createPairScorer } = await import('../ml/metrics/pair-scorer.js');
    const { summarizeImages, summarizeSpeed } = await import('../report/summaries.js');
    const { writeMetricsJson } = await import('../core/formats/metrics-file.js');
    const fs = await import('node:fs/promises');

    const ev = ctx.params.evaluate;
    const metrics = ev.metrics as MetricName[];
    const pairMetrics = PAIR_METRICS.filter((m) => metrics.includes(m));
    const { SSIM_WINDOW } = await import('../ml/metrics/ssim.js');
    if (pairMetrics.includes('ssim') && ctx.params.dataset.crop_size < SSIM_WINDOW) {
      throw new StageUserError(
        'PIPE_EVAL_TOO_SMALL',
        `dataset.crop_size ${ctx.params.dataset.crop_size} is smaller than SSIM's ${SSIM_WINDOW}x${SSIM_WINDOW} window; raise crop_size or leave ssim out of evaluate.metrics.`,
      );
    }
    const info = await initBackend(ctx.env.backend);
    const ds = await openPrepared(ctx.inputs.dataset);
    const split = ds.eval;
    const gens = await loadGenerators(ctx.inputs.train);
    const scorer = await createPairScorer({
      metrics: pairMetrics,
      lpipsNet: ev.lpips_net,
      weightsDir: ctx.env.weightsDir,
      downloadDir: ctx.env.downloadDir,
    });
    const aligned = ds.layout === 'aligned';
    try {
      const directions: Partial<Record<Direction, DirectionMetrics>> = {};
      const plan: { dir: Direction; gen: typeof gens.AtoB; from: typeof split.A; to: typeof split.B }[] = [{ dir: 'AtoB', gen: gens.AtoB, from: split.A, to: split.B }];
      if (gens.BtoA) plan.push({ dir: 'BtoA', gen: gens.BtoA, from: split.B, to: split.A });
      const total = plan.reduce((n, p) => n + Math.min(p.from.count, ev.max_images ?? Infinity), 0);
      if (total === 0) throw new StageUserError('PIPE_EVAL_EMPTY', `The evaluation split "${ds.evalSplit}" has no images; choose another evaluate.split.`);
      let done = 0;
      for (const { dir, gen, from, to } of plan) {
        const n = Math.min(from.count, ev.max_images ?? Infinity);
        const size = from.size;
        const outRel = path.join('images', dir);
        await fs.mkdir(path.join(ctx.outDir, outRel), { recursive: true });
        await fs.mkdir(path.join(ctx.outDir, 'inputs', dir), { recursive: true });
        await fs.mkdir(path.join(ctx.outDir, 'targets', dir), { recursive: true });
        const images: DirectionMetrics['images'] = {};
        const times: number[] = [];
        // Asynchronous read: webgpu in Node has no synchronous one (and awaiting it makes the timing include the GPU).
        const run = async (i: number) => {
          const x = tf.tensor4d(toTensor(from, i), [1, size, size, 3]);
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
        };
        // Warm-up: the first call compiles kernels / allocates; it is not timed.
        await run(0);
        for (let i = 0; i < n; i++) {
          if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('evaluation aborted');
          const t0 = performance.now();
          const values = await run(i);
          times.push(performance.now() - t0);
          const output = unitRangeToRgb(values, size, size);
          const input = { width: size, height: size, data: from.get(i) };
          const reference = aligned ? { width: size, height: size, data: to.get(i) } : input;
          const name = from.names[i];
          await writePng(path.join(ctx.outDir, outRel, `${stem(name)}.png`), output);
          if (i < REFERENCE_IMAGES) {
            await writePng(path.join(ctx.outDir, 'inputs', dir, `${stem(name)}.png`), input);
            if (aligned) await writePng(path.join(ctx.outDir, 'targets', dir, `${stem(name)}.png`), reference);
          }
          images[name] = await scorer.score(output, reference);
          done++;
          ctx.progress({ message: `${dir} ${i + 1}/${n}`, fraction: done / total });
        }
        const summary = summarizeImages(images, metrics, ev.bootstrap);
        const { speed, fps } = summarizeSpeed(times, 1, info.name, ev.bootstrap);
        if (metrics.includes('fps')) summary.fps = fps;
        directions[dir] = { reference: aligned ? 'target' : 'input', outputs: outRel, images, summary, speed };
        ctx.log(`${dir}: ${n} images, ${speed.ms_per_image.toFixed(1)} ms/image on ${info.name}`);
      }
      const primary = directions.AtoB!;
      const file: EvaluateMetricsFile = {
        format: 'pipe.evaluate/1',
        split: ds.evalSplit,
        metrics,
        lpips_net: pairMetrics.includes('lpips' as PairMetricName) ? ev.lpips_net : null,
        bootstrap: ev.bootstrap,
        backend: describeBackend(info),
        primary: 'AtoB',
        directions,
        summary: primary.summary,
        images: primary.images,
        speed: primary.speed,
      };
      await writeMetricsJson(path.join(ctx.outDir, 'metrics.json'), file);
      return {
        backend: describeBackend(info),
        summary: Object.fromEntries(Object.entries(primary.summary).map(([m, s]) => [m, s!.mean])),
      };
    } finally {
      scorer.dispose();
      gens.dispose();
    }
  },
};
