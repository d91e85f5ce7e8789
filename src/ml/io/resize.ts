// Bicubic resize that reproduces Pillow's Image.resize(size, BICUBIC) on 8-bit images, which is what
// pytorch-CycleGAN-and-pix2pix (torchvision Resize on PIL images) uses. Pillow (src/libImaging/Resample.c):
// a separable convolution, horizontal pass first, cubic kernel a = -0.5 whose support widens by the
// downscale factor (antialiasing), weights normalised per output pixel then quantised to 22-bit fixed
// point, and each pass rounded and clipped to uint8.
import type { RgbImage } from './image.js';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Coeffs {
  ksize: number;
  /** Per output pixel: first input index and number of taps. */
  bounds: Int32Array;
  /** outSize*ksize fixed-point weights. */
  weights: Int32Array;
}

function precompute(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // C's (int) cast truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x] / ww : k[x];
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, weights };
}

function clip8(v: number): number {
  if (v >= ONE * 256) return 255;
  if (v <= 0) return 0;
  return Math.floor(v / ONE);
}

// Sums stay below 2^53 (255 * 2^22 * taps), so plain doubles hold Pillow's 32-bit integer sums exactly
// where they matter; Pillow's int32 would overflow only for weights far outside what a cubic produces.
function resizeHorizontal(src: Uint8Array, inW: number, h: number, outW: number): Uint8Array {
  const { ksize, bounds, weights } = precompute(inW, outW);
  const out = new Uint8Array(outW * h * 3);
  for (let y = 0; y < h; y++) {
    const row = y * inW * 3;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = bounds[xx * 2];
      const n = bounds[xx * 2 + 1];
      const kk = xx * ksize;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let x = 0; x < n; x++) {
        const w = weights[kk + x];
        const p = row + (xmin + x) * 3;
        r += src[p] * w;
        g += src[p + 1] * w;
        b += src[p + 2] * w;
      }
      const o = (y * outW + xx) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return out;
}

function resizeVertical(src: Uint8Array, w: number, inH: number, outH: number): Uint8Array {
  const { ksize, bounds, weights } = precompute(inH, outH);
  const out = new Uint8Array(w * outH * 3);
  const stride = w * 3;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2];
    const n = bounds[yy * 2 + 1];
    const kk = yy * ksize;
    for (let i = 0; i < stride; i++) {
      let s = HALF;
      for (let y = 0; y < n; y++) s += src[(ymin + y) * stride + i] * weights[kk + y];
      out[yy * stride + i] = clip8(s);
    }
  }
  return out;
}

/** Pillow-compatible BICUBIC resize of an RGB image to outW×outH. */
export function resizeBicubic(img: RgbImage, outW: number, outH: number): RgbImage {
  if (outW < 1 || outH < 1) throw new RangeError(`resize to ${outW}x${outH}`);
  let data = img.data;
  let w = img.width;
  let h = img.height;
  // Like Pillow, a pass runs only when its dimension changes.
  if (outW !== w) {
    data = resizeHorizontal(data, w, h, outW);
    w = outW;
  }
  if (outH !== h) {
    data = resizeVertical(data, w, h, outH);
    h = outH;
  }
  if (data === img.data) data = data.slice();
  return { width: w, height: h, data };
}
