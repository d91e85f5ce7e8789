// The same three convolution kernels as conv_kernels.ts, as one matrix product each, for layers whose output has few
// pixels (a U-Net's inner layers: 1x1 to 8x8 with 512-1024 channels). There the cost is not arithmetic but XNNPACK
// packing the right-hand operand into its blocked layout, ~20 ns per element, redone on every call because trained
// filters change every step: 100-200 ms for a 4x4x1024x512 filter against ~5 ms of arithmetic. So each product here
// is arranged so that the packed (right) operand is the small activation side and the filter is streamed:
//   dx: dcolT [K, P] = W [K, O] @ dyT [O, P]        (no filter transform at all)
//   dW: dW [K, O]    = colT [K, P] @ dy [P, O]      (lands in HWIO layout directly; stride 1, taps are slices)
//   y:  yT [O, P]    = W [K, O]^T @ colT [K, P]     (W^T: a transpose, or transposeA's unpacked loop, < packing)
// with K = kh*kw*C (tap-major, the HWIO filter's row order) and P = output pixels. Batch 1 only.
import * as tf from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './geometry.js';

/** Pads (zeros) or crops a [H, W, C] tensor per side; negative amounts crop. */
function padOrCrop3(x: tf.Tensor3D, top: number, bottom: number, left: number, right: number): tf.Tensor3D {
  let t = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [h, w, c] = t.shape;
    const ct = Math.max(0, -top);
    const cl = Math.max(0, -left);
    t = tf.slice(t, [ct, cl, 0], [h - ct - Math.max(0, -bottom), w - cl - Math.max(0, -right), c]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    t = tf.pad(t, [
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ]);
  }
  return t;
}

interface TapGrid {
  /** Rows/cols of the stride-phase grid: the padded input is viewed as [rows, s, cols, s*C]. */
  rows: number;
  cols: number;
  taps: { a: number; b: number; a2: number; b2: number }[];
}

function tapGrid(g: ConvGeometry): TapGrid {
  const s = g.stride;
  const needH = (g.outH - 1) * s + (g.kh - 1) * g.dilation + 1;
  const needW = (g.outW - 1) * s + (g.kw - 1) * g.dilation + 1;
  const taps: TapGrid['taps'] = [];
  for (let i = 0; i < g.kh; i++) {
    for (let j = 0; j < g.kw; j++) {
      const r = i * g.dilation;
      const c = j * g.dilation;
      taps.push({ a: Math.floor(r / s), b: r % s, a2: Math.floor(c / s), b2: c % s });
    }
  }
  return { rows: Math.ceil(needH / s), cols: Math.ceil(needW / s), taps };
}

export type ConvStrategy = 'auto' | 'conv' | 'gemm';
let strategy: ConvStrategy = 'auto';

/** Forces one family of kernels (tests compare both; the benchmark measures both). 'auto' picks per layer. */
export function setConvStrategy(s: ConvStrategy): void {
  strategy = s;
}

const pixels = (g: ConvGeometry) => g.outH * g.outW;
// Below ~0.5 M filter elements packing costs < 10 ms, less than the extra kernels (slices, pads) of the product form.
const bigFilter = (g: ConvGeometry) => g.kh * g.kw * g.inC * g.outC >= 1 << 19;

// Thresholds from timings on wasm (bench/notes): the product form replaces packing the filter (~20 ns per element of
// K*O) by im2col/col2im work (a few passes over K*P) and, for y, a transpose of the filter (~10 ns per element). So
// it pays where the layer has more output channels than output pixels: 4-30x for dx at 1x1..8x8 with 512-1024
// channels, break-even at 16x16 with 512.

/** Use gemmTransposedConv for the transposed-conv role (conv2d's dx, conv2dTranspose's forward)? */
export function gemmForTransposed(g: ConvGeometry): boolean {
  if (g.batch !== 1 || strategy === 'conv') return false;
  return strategy === 'gemm' || (bigFilter(g) && pixels(g) <= 256 && g.outC >= pixels(g));
}

/** Use gemmForwardConv for the forward-conv role (conv2d's y, conv2dTranspose's dx)? */
export function gemmForForward(g: ConvGeometry): boolean {
  if (g.batch !== 1 || strategy === 'conv') return false;
  return strategy === 'gemm' || (bigFilter(g) && (pixels(g) <= 4 || (pixels(g) <= 64 && g.outC >= 2 * pixels(g))));
}

/** im2col of x [1,H,W,C], transposed: [K = kh*kw*C, P = outH*outW]. */
export function im2colT(x: tf.Tensor4D, g: ConvGeometry): tf.Tensor2D {
  return tf.tidy(() => {
    const s = g.stride;
    const grid = tapGrid(g);
    const x3 = tf.reshape(x, [g.inH, g.inW, g.inC]) as tf.Tensor3D;
    const padded = padOrCrop3(
      x3,
      g.padTop,
      grid.rows * s - g.padTop - g.inH,
      g.padLeft,
      grid.cols * s - g.padLeft - g.inW,
    );
    const view = tf.reshape(padded, [grid.rows, s, grid.cols, s * g.inC]);
    const cols = grid.taps.map(({ a, b, a2, b2 }): tf.Tensor2D =>
      tf.reshape(tf.slice(view, [a, b, a2, b2 * g.inC], [g.outH, 1, g.outW, g.inC]), [g.outH * g.outW, g.inC]),
    );
    const col: tf.Tensor2D = cols.length === 1 ? cols[0] : tf.concat(cols, 1); // [P, K]
    return tf.transpose(col);
  });
}

/** The adjoint of im2colT: scatter-adds colT [K, P] back to [1, H, W, C]. */
export function col2imT(colT: tf.Tensor2D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const s = g.stride;
    const grid = tapGrid(g);
    const col = tf.transpose(colT); // [P, K]
    const parts = grid.taps.map(({ a, b, a2, b2 }, t) => {
      const tap = tf.reshape(tf.slice(col, [0, t * g.inC], [g.outH * g.outW, g.inC]), [g.outH, 1, g.outW, g.inC]);
      return tf.pad(tap, [
        [a, grid.rows - g.outH - a],
        [b, s - 1 - b],
        [a2, grid.cols - g.outW - a2],
        [b2 * g.inC, (s - 1 - b2) * g.inC],
      ]);
    });
    const summed = parts.length === 1 ? parts[0] : tf.addN(parts);
    const padded = tf.reshape(summed, [grid.rows * s, grid.cols * s, g.inC]) as tf.Tensor3D;
    const x3 = padOrCrop3(
      padded,
      -g.padTop,
      g.inH + g.padTop - grid.rows * s,
      -g.padLeft,
      g.inW + g.padLeft - grid.cols * s,
    );
    return tf.reshape(x3, [1, g.inH, g.inW, g.inC]);
  });
}

/**
 * y = conv(x, W) as yT = W^T @ colT: for <= 4 output pixels with transposeA (an unpacked loop, no copy of W), beyond
 * that by transposing W once and letting XNNPACK pack only colT.
 */
export function gemmForwardConv(x: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const w2 = tf.reshape(filter, [g.kh * g.kw * g.inC, g.outC]) as tf.Tensor2D;
    const colT = im2colT(x, g);
    const yT = pixels(g) <= 4 ? tf.matMul(w2, colT, true, false) : tf.matMul(tf.transpose(w2), colT); // [O, P]
    return tf.reshape(tf.transpose(yT), [1, g.outH, g.outW, g.outC]);
  });
}

/** dx = conv2d's input gradient (the transposed conv) as col2im(W @ dyT). */
export function gemmTransposedConv(dy: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const w2 = tf.reshape(filter, [g.kh * g.kw * g.inC, g.outC]) as tf.Tensor2D;
    const dyT = tf.transpose(tf.reshape(dy, [g.outH * g.outW, g.outC])) as tf.Tensor2D; // [O, P]
    return col2imT(tf.matMul(w2, dyT), g);
  });
}

/** Use gemmFilterGrad for conv2d's filter gradient? (stride 1 only: its taps are plain slices.) */
export function gemmForFilter(g: ConvGeometry): boolean {
  if (g.batch !== 1 || g.stride !== 1 || strategy === 'conv') return false;
  // The conv form reduces over 1 input channel per tap, which XNNPACK runs at about half speed; the product form
  // wins 1.7-1.9x for 3x3 filters with >= 64 outputs and loses on thin ones (7x7 -> 3: 53 vs 264 ms).
  return strategy === 'gemm' || (g.kh * g.kw <= 16 && g.outC >= 64);
}

/**
 * dW = A @ dy with A [kh*kw*C, P] the input's taps stacked along rows ((tap, channel) order, HWIO's row order) and dy
 * [P, O] the packed operand: the result is [kh, kw, C, O] with no transpose. Stride 1, batch 1.
 */
export function gemmFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const needH = g.outH + (g.kh - 1) * g.dilation;
    const needW = g.outW + (g.kw - 1) * g.dilation;
    const xT = tf.transpose(tf.reshape(x, [g.inH, g.inW, g.inC]), [2, 0, 1]) as tf.Tensor3D; // [C, H, W]
    // Pad rows/cols (crop where the forward conv never reached): viewed as [C, H, W] -> padded [C, needH, needW].
    let padded: tf.Tensor3D = xT;
    const bottom = needH - g.padTop - g.inH;
    const right = needW - g.padLeft - g.inW;
    if (bottom < 0 || right < 0) {
      padded = tf.slice(padded, [0, 0, 0], [g.inC, g.inH + Math.min(0, bottom), g.inW + Math.min(0, right)]);
    }
    padded = tf.pad(padded, [
      [0, 0],
      [g.padTop, Math.max(0, bottom)],
      [g.padLeft, Math.max(0, right)],
    ]);
    const taps: tf.Tensor3D[] = [];
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++)
        taps.push(tf.slice(padded, [0, i * g.dilation, j * g.dilation], [g.inC, g.outH, g.outW]));
    }
    const stacked = tf.reshape(taps.length === 1 ? taps[0] : tf.concat(taps, 0), [
      g.kh * g.kw * g.inC,
      g.outH * g.outW,
    ]) as tf.Tensor2D;
    const dy2 = tf.reshape(dy, [g.outH * g.outW, g.outC]) as tf.Tensor2D;
    return tf.reshape(tf.matMul(stacked, dy2), [g.kh, g.kw, g.inC, g.outC]);
  });
}
