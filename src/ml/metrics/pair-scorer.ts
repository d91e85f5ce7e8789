// Scores image pairs with the requested metrics. SSIM, PSNR and MAE are plain typed-array code;
// LPIPS needs TensorFlow.js and pretrained weights, so it is imported only when asked for.
import type * as tfTypes from '@tensorflow/tfjs-core';
import type { Lpips, LpipsNet } from './lpips.js';
import type { PairMetricName } from '../../core/formats/metrics-file.js';
import type { RgbImage } from './image.js';
import { mae, psnr } from './pixel.js';
import { ssim } from './ssim.js';

export type { LpipsNet };

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

/** RGB bytes -> [1, H, W, 3] float tensor in [-1, 1] (LPIPS' input convention). */
async function toUnitTensor(img: RgbImage): Promise<tfTypes.Tensor4D> {
  const tf = await import('@tensorflow/tfjs-core');
  const f = new Float32Array(img.data.length);
  for (let i = 0; i < f.length; i++) f[i] = img.data[i] / 127.5 - 1;
  return tf.tensor4d(f, [1, img.height, img.width, 3]);
}

export async function createPairScorer(options: PairScorerOptions): Promise<PairScorer> {
  let lpips: Lpips | undefined;
  if (options.metrics.includes('lpips')) {
    const { createLpips } = await import('./lpips.js');
    lpips = await createLpips({
      net: options.lpipsNet ?? 'squeeze',
      weightsDir: options.weightsDir,
      downloadDir: options.downloadDir,
    });
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
          ta.dispose();
          tb.dispose();
        }
      }
      return out;
    },
    dispose() {
      lpips?.dispose();
    },
  };
}
