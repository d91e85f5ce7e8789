// Scores image pairs with the requested metrics. SSIM, PSNR and MAE are plain typed-array code;
// LPIPS needs TensorFlow.js and pretrained weights, so it is loaded only when asked for.
import { UserError } from '../../cli/errors.js';
import type { PairMetricName } from './definitions.js';
import type { RgbImage } from './image.js';
import { mae, psnr } from './pixel.js';
import { ssim } from './ssim.js';

export type LpipsNet = 'squeeze' | 'vgg' | 'alex';

export interface PairScorerOptions {
  metrics: readonly PairMetricName[];
  lpipsNet?: LpipsNet;
  weightsDir?: string;
  downloadDir?: string;
}

export interface PairScorer {
  score(a: RgbImage, b: RgbImage): Promise<Partial<Record<PairMetricName, number>>>;
  dispose(): void;
}

interface LpipsModel {
  distance(a: unknown, b: unknown): number[] | Promise<number[]>;
  dispose(): void;
}

/** RGB bytes -> [1, H, W, 3] float tensor in [-1, 1] (LPIPS' input convention). */
async function toUnitTensor(img: RgbImage): Promise<unknown> {
  const tf = await import('@tensorflow/tfjs-core');
  const f = new Float32Array(img.data.length);
  for (let i = 0; i < f.length; i++) f[i] = img.data[i] / 127.5 - 1;
  return tf.tensor4d(f, [1, img.height, img.width, 3]);
}

export async function createPairScorer(options: PairScorerOptions): Promise<PairScorer> {
  let lpips: LpipsModel | undefined;
  if (options.metrics.includes('lpips')) {
    // Specifier kept in a variable: the LPIPS module is owned by the weights engineer and loads tfjs.
    const spec = './lpips.js';
    const mod = (await import(spec).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
      throw new UserError('PIPE_LPIPS_UNAVAILABLE', 'LPIPS is not available in this build of pipe; leave it out (pipe metrics --no-lpips, or drop lpips from evaluate.metrics).');
    })) as { createLpips(o: { net: LpipsNet; weightsDir?: string; downloadDir?: string }): LpipsModel | Promise<LpipsModel> };
    lpips = await mod.createLpips({ net: options.lpipsNet ?? 'squeeze', weightsDir: options.weightsDir, downloadDir: options.downloadDir });
  }
  const want = new Set(options.metrics);
  return {
    async score(a, b) {
      const out: Partial<Record<PairMetricName, number>> = {};
      if (want.has('ssim')) out.ssim = ssim(a, b);
      if (want.has('psnr')) out.psnr = psnr(a, b);
      if (want.has('mae')) out.mae = mae(a, b);
      if (lpips) {
        const [ta, tb] = [await toUnitTensor(a), await toUnitTensor(b)];
        try {
          out.lpips = (await lpips.distance(ta, tb))[0];
        } finally {
          (ta as { dispose(): void }).dispose();
          (tb as { dispose(): void }).dispose();
        }
      }
      return out;
    },
    dispose() {
      lpips?.dispose();
    },
  };
}
