// Pixel-wise metrics on 8-bit RGB: PSNR (skimage.metrics.peak_signal_noise_ratio, data range 255)
// and MAE on values scaled to [0, 1].
import { assertComparable, type RgbImage } from './image.js';

/** PSNR in dB over all pixels and channels; Infinity for identical images. */
export function psnr(a: RgbImage, b: RgbImage): number {
  assertComparable(a, b, 'PSNR');
  let sq = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i];
    sq += d * d;
  }
  if (sq === 0) return Infinity;
  const mse = sq / a.data.length;
  return 10 * Math.log10((255 * 255) / mse);
}

/** Mean absolute difference with pixels scaled to [0, 1] (so 0 = identical, 1 = black vs white). */
export function mae(a: RgbImage, b: RgbImage): number {
  assertComparable(a, b, 'MAE');
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs(a.data[i] - b.data[i]);
  return s / a.data.length / 255;
}
