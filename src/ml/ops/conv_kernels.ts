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
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
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

/** Filter for the stride-1 transposed conv: spatially flipped, in/out channels swapped. [kh,kw,C,O] -> [kh,kw,O,C]. */
export function flippedFilter(filter: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]));
}

/**
 * Filter for the strided transposed conv as s*s sub-pixel convs fused into one: output channel block (py*s + px)
 * holds the flipped taps f[py + m*s, px + n*s] (zero-padded in front to a common ceil(k/s) size), so one stride-1
 * conv of dy followed by depthToSpace(s) yields every phase of dx. [kh,kw,C,O] -> [ceil(kh/s), ceil(kw/s), O, s*s*C].
 */
export function subPixelFilter(filter: tf.Tensor4D, stride: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, o] = filter.shape;
    const kH = Math.ceil(kh / stride);
    const kW = Math.ceil(kw / stride);
    const phases: tf.Tensor4D[] = [];
    for (let py = 0; py < stride; py++) {
      for (let px = 0; px < stride; px++) {
        const nh = Math.ceil((kh - py) / stride);
        const nw = Math.ceil((kw - px) / stride);
        if (nh <= 0 || nw <= 0) {
          phases.push(tf.zeros([kH, kW, o, c]));
          continue;
        }
        const taps = tf.stridedSlice(filter, [py, px, 0, 0], [kh, kw, c, o], [stride, stride, 1, 1]) as tf.Tensor4D;
        const flipped = tf.reverse(taps, [0, 1]);
        const padded = tf.pad(flipped, [[kH - nh, 0], [kW - nw, 0], [0, 0], [0, 0]]);
        phases.push(tf.transpose(padded, [0, 1, 3, 2]));
      }
    }
    return phases.length === 1 ? phases[0] : tf.concat(phases, 3);
  });
}

/** The filter transposedConv needs for this geometry (precompute it once for frozen filters). */
export function transposedConvFilter(filter: tf.Tensor4D, g: Pick<ConvGeometry, 'stride'>): tf.Tensor4D {
  return g.stride === 1 ? flippedFilter(filter) : subPixelFilter(filter, g.stride);
}

/**
 * dx = conv2d's input gradient for dy [N,outH,outW,outC], i.e. the transposed convolution, as forward convs only.
 * `prepared` is transposedConvFilter(filter, g) when the caller has it already.
 */
export function transposedConv(dy: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry, prepared?: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const s = g.stride;
    const d = g.dilation;
    const kf = prepared ?? transposedConvFilter(filter, g);
    if (s === 1) {
      // Full correlation of dy with the flipped filter; the user's padding shrinks the frame.
      const reachH = (g.kh - 1) * d;
      const reachW = (g.kw - 1) * d;
      return convWithPads(dy, kf, 1, d, reachH - g.padTop, reachH - g.padBottom, reachW - g.padLeft, reachW - g.padRight);
    }
    const kH = Math.ceil(g.kh / s);
    const kW = Math.ceil(g.kw / s);
    // Rows q of every phase cover padded-input rows q*s .. q*s+s-1; enough of them to reach the input's last row.
    const qH = Math.ceil((g.padTop + g.inH) / s);
    const qW = Math.ceil((g.padLeft + g.inW) / s);
    const phases = convWithPads(dy, kf, 1, 1, kH - 1, qH - g.outH, kW - 1, qW - g.outW);
    const interleaved = tf.depthToSpace(phases, s, 'NHWC');
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
    const dyT: tf.Tensor4D = g.batch === 1
      ? tf.reshape(dy, [g.outH, g.outW, 1, g.outC])
      : tf.transpose(dy, [1, 2, 0, 3]); // [outH, outW, N, outC]
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
