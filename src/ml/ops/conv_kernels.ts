// The three convolution kernels every differentiable conv op is assembled from, each expressed only with forward
// convolutions, pads, slices, transposes and depthToSpace. Those are fast and correct on every backend, whereas wasm has
// no Conv2DBackpropFilter, a Conv3DBackpropFilterV2 that is wrong for stride > 1, and a Conv2DBackpropInput about ten
// times slower than its forward conv; on cpu Conv2DBackpropFilter runs at ~0.01 GFLOP/s. None of these functions
// records gradients of its own: the ops call them inside tf.customGrad.
import * as tf from '@tensorflow/tfjs-core';
import type { ConvGeometry } from './geometry.js';

type Pads4 = [[number, number], [number, number], [number, number], [number, number]];

function explicit(top: number, bottom: number, left: number, right: number): Pads4 | 'valid' {
  if (top === 0 && bottom === 0 && left === 0 && right === 0) return 'valid';
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/**
 * Runs a stride-s conv with per-side padding that may be negative (a negative pad crops the input instead), which the
 * gradient convs need when a user pad exceeds the filter's reach.
 */
function convWithPads(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: number,
  dilation: number,
  top: number,
  bottom: number,
  left: number,
  right: number,
): tf.Tensor4D {
  let input = x;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const [n, h, w, c] = x.shape;
    const t = Math.max(0, -top);
    const l = Math.max(0, -left);
    input = tf.slice(x, [0, t, l, 0], [n, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c]);
  }
  const pads = explicit(Math.max(0, top), Math.max(0, bottom), Math.max(0, left), Math.max(0, right));
  return tf.conv2d(input, filter, stride, pads, 'NHWC', dilation);
}

/** y = conv(x, f): the forward convolution, all padding explicit. */
export function forwardConv(x: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.conv2d(x, filter, g.stride, explicit(g.padTop, g.padBottom, g.padLeft, g.padRight), 'NHWC', g.dilation);
}

/**
 * Filter for the transposed conv, built with one tap-selection matmul and one transpose (wasm's StridedSlice,
 * Reverse and GatherV2 copy element by element and cost more than the conv itself on 4x4x256x512 filters).
 * stride 1: the spatially flipped filter with in/out channels swapped, [kh,kw,C,O] -> [kh,kw,O,C].
 * stride s: s*s sub-pixel filters fused into one: output channel block (py*s + px) holds the flipped taps
 * f[py + m*s, px + n*s], zero-padded in front to a common ceil(k/s) size, so one stride-1 conv of dy followed by
 * depthToSpace(s) yields every phase of dx. [kh,kw,C,O] -> [ceil(kh/s), ceil(kw/s), O, s*s*C].
 */
export function transposedConvFilter(filter: tf.Tensor4D, g: Pick<ConvGeometry, 'stride'>): tf.Tensor4D {
  const s = g.stride;
  const [kh, kw, c, o] = filter.shape;
  const kH = Math.ceil(kh / s);
  const kW = Math.ceil(kw / s);
  const zeroRow = kh * kw;
  const index: number[] = [];
  for (let m = 0; m < kH; m++) {
    for (let n = 0; n < kW; n++) {
      for (let py = 0; py < s; py++) {
        for (let px = 0; px < s; px++) {
          const i = py + (kH - 1 - m) * s;
          const j = px + (kW - 1 - n) * s;
          index.push(i < kh && j < kw ? i * kw + j : zeroRow);
        }
      }
    }
  }
  // The tap gather as a matmul with a 0/1 selection matrix: wasm's GatherV2 (like Reverse and StridedSlice) copies
  // element by element in JavaScript, ~6x slower than this matmul. All-zero rows are the zero-padded taps.
  const select = new Float32Array(index.length * kh * kw);
  index.forEach((src, row) => {
    if (src !== zeroRow) select[row * kh * kw + src] = 1;
  });
  return tf.tidy(() => {
    const rows: tf.Tensor2D = tf.reshape(filter, [kh * kw, c * o]);
    const taps = tf.matMul(tf.tensor2d(select, [index.length, kh * kw]), rows); // [kH*kW*s*s, C*O]
    const swapped = tf.transpose(tf.reshape(taps, [kH * kW, s * s, c, o]), [0, 3, 1, 2]); // [kH*kW, O, s*s, C]
    return tf.reshape(swapped, [kH, kW, o, s * s * c]);
  });
}

/** tf.depthToSpace(x, s) for NHWC as reshape + transpose: 4x faster than wasm's DepthToSpace kernel. */
export function depthToSpace(x: tf.Tensor4D, s: number): tf.Tensor4D {
  const [n, h, w, cs] = x.shape;
  const c = cs / (s * s);
  const blocks = tf.reshape(x, [n * h, w, s, s * c]);
  return tf.reshape(tf.transpose(blocks, [0, 2, 1, 3]), [n, h * s, w * s, c]);
}

/**
 * dx = conv2d's input gradient for dy [N,outH,outW,outC], i.e. the transposed convolution, as forward convs only.
 * `prepared` is transposedConvFilter(filter, g) when the caller has it already.
 */
export function transposedConv(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
  prepared?: tf.Tensor4D,
): tf.Tensor4D {
  return tf.tidy(() => {
    const s = g.stride;
    const d = g.dilation;
    const kf = prepared ?? transposedConvFilter(filter, g);
    if (s === 1) {
      // Full correlation of dy with the flipped filter; the user's padding shrinks the frame.
      const reachH = (g.kh - 1) * d;
      const reachW = (g.kw - 1) * d;
      return convWithPads(
        dy,
        kf,
        1,
        d,
        reachH - g.padTop,
        reachH - g.padBottom,
        reachW - g.padLeft,
        reachW - g.padRight,
      );
    }
    const kH = Math.ceil(g.kh / s);
    const kW = Math.ceil(g.kw / s);
    // Rows q of every phase cover padded-input rows q*s .. q*s+s-1; enough of them to reach the input's last row.
    const qH = Math.ceil((g.padTop + g.inH) / s);
    const qW = Math.ceil((g.padLeft + g.inW) / s);
    const phases = convWithPads(dy, kf, 1, 1, kH - 1, qH - g.outH, kW - 1, qW - g.outW);
    const interleaved = depthToSpace(phases, s);
    return tf.slice(interleaved, [0, g.padTop, g.padLeft, 0], [g.batch, g.inH, g.inW, g.inC]);
  });
}

/**
 * dW = conv2d's filter gradient as ONE forward conv: the input's channels become the batch, its batch becomes the
 * channels, and dy is the filter (dilated by the stride; the conv's stride is the dilation). [kh,kw,C,outC].
 */
export function filterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const s = g.stride;
    const d = g.dilation;
    // Padded-input rows actually read by the forward conv; the rest (a stride's leftover) get no gradient.
    const needH = (g.outH - 1) * s + (g.kh - 1) * d + 1;
    const needW = (g.outW - 1) * s + (g.kw - 1) * d + 1;
    const xT = tf.transpose(x, [3, 1, 2, 0]); // [C, H, W, N]
    const dyT: tf.Tensor4D =
      g.batch === 1 ? tf.reshape(dy, [g.outH, g.outW, 1, g.outC]) : tf.transpose(dy, [1, 2, 0, 3]); // [outH, outW, N, outC]
    let input: tf.Tensor4D = xT;
    let bottom = needH - g.padTop - g.inH;
    let right = needW - g.padLeft - g.inW;
    if (bottom < 0 || right < 0) {
      input = tf.slice(xT, [0, 0, 0, 0], [g.inC, g.inH + Math.min(0, bottom), g.inW + Math.min(0, right), g.batch]);
      bottom = Math.max(0, bottom);
      right = Math.max(0, right);
    }
    const pads = explicit(g.padTop, bottom, g.padLeft, right);
    const out = tf.conv2d(input, dyT, d, pads, 'NHWC', s); // [C, kh, kw, outC]
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}
