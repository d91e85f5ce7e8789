// SSIM (Wang et al. 2004) with the conventions of skimage.metrics.structural_similarity(a, b,
// channel_axis=2, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False):
// an 11-tap Gaussian (radius int(3.5 * 1.5 + 0.5) = 5), K1 0.01, K2 0.03, population covariance,
// the SSIM map cropped by (11 - 1) / 2 = 5 pixels on every border before the mean, mean over channels.
// Because skimage crops exactly the pixels whose window reaches past the border, its padding mode
// never affects the result, so only the valid positions are filtered here.
import { assertComparable, type RgbImage } from './image.js';

const SIGMA = 1.5;
const TRUNCATE = 3.5;
const RADIUS = Math.trunc(TRUNCATE * SIGMA + 0.5);
export const SSIM_WINDOW = 2 * RADIUS + 1;
const K1 = 0.01;
const K2 = 0.03;

/** scipy.ndimage._gaussian_kernel1d(sigma 1.5, order 0, radius 5). */
const KERNEL: Float64Array = (() => {
  const k = new Float64Array(SSIM_WINDOW);
  let sum = 0;
  for (let i = -RADIUS; i <= RADIUS; i++) {
    const v = Math.exp((-0.5 / (SIGMA * SIGMA)) * i * i);
    k[i + RADIUS] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
})();

/** Mean SSIM of one channel pair (planes of w*h values, 0..dataRange). */
// eslint-disable-next-line max-lines-per-function -- one numeric kernel, kept whole to read like the paper
export function ssimPlane(x: Float64Array, y: Float64Array, w: number, h: number, dataRange = 255): number {
  if (w < SSIM_WINDOW || h < SSIM_WINDOW) {
    throw new Error(`SSIM needs images of at least ${SSIM_WINDOW}x${SSIM_WINDOW} pixels, got ${w}x${h}`);
  }
  const ow = w - 2 * RADIUS;
  const oh = h - 2 * RADIUS;
  // Horizontal pass over every row for the five moments, valid columns only.
  const hx = new Float64Array(h * ow);
  const hy = new Float64Array(h * ow);
  const hxx = new Float64Array(h * ow);
  const hyy = new Float64Array(h * ow);
  const hxy = new Float64Array(h * ow);
  for (let r = 0; r < h; r++) {
    const row = r * w;
    for (let c = 0; c < ow; c++) {
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      for (let k = 0; k < SSIM_WINDOW; k++) {
        const g = KERNEL[k];
        const a = x[row + c + k];
        const b = y[row + c + k];
        sx += g * a;
        sy += g * b;
        sxx += g * a * a;
        syy += g * b * b;
        sxy += g * a * b;
      }
      const o = r * ow + c;
      hx[o] = sx;
      hy[o] = sy;
      hxx[o] = sxx;
      hyy[o] = syy;
      hxy[o] = sxy;
    }
  }
  const c1 = (K1 * dataRange) ** 2;
  const c2 = (K2 * dataRange) ** 2;
  let total = 0;
  for (let r = 0; r < oh; r++) {
    let rowSum = 0;
    for (let c = 0; c < ow; c++) {
      let ux = 0;
      let uy = 0;
      let uxx = 0;
      let uyy = 0;
      let uxy = 0;
      for (let k = 0; k < SSIM_WINDOW; k++) {
        const g = KERNEL[k];
        const o = (r + k) * ow + c;
        ux += g * hx[o];
        uy += g * hy[o];
        uxx += g * hxx[o];
        uyy += g * hyy[o];
        uxy += g * hxy[o];
      }
      const vx = uxx - ux * ux;
      const vy = uyy - uy * uy;
      const vxy = uxy - ux * uy;
      rowSum += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
    total += rowSum;
  }
  return total / (ow * oh);
}

function channelPlane(img: RgbImage, channel: number): Float64Array {
  const n = img.width * img.height;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = img.data[i * 3 + channel];
  return out;
}

/** Mean SSIM over the three channels of two 8-bit RGB images of the same size (at least 11x11). */
export function ssim(a: RgbImage, b: RgbImage): number {
  assertComparable(a, b, 'SSIM');
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    sum += ssimPlane(channelPlane(a, c), channelPlane(b, c), a.width, a.height, 255);
  }
  return sum / 3;
}
