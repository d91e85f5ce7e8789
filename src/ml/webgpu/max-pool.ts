// Max pooling on webgpu in one dispatch each way, with ops/max_pool.ts's semantics: padding and ceil mode's extra
// rows count as -inf, a window holding a NaN pools to NaN, and the gradient goes to the first maximum of each window
// in row-major order (the first NaN where there is one), as PyTorch and tfjs-cpu do. The op-level version of that
// gradient is about 40 stock dispatches per pool (slices, compares, selects, pads over full-size maps), and its
// NaN-aware forward 6; VGG's two pools before relu3_3 run forward twice and backward once per training step.
// The gradient gathers: each input element visits the windows that hold it, finds each one's first maximum again,
// and adds dy where that is itself.
import type * as tf from '@tensorflow/tfjs-core';
import { runKernel, shader, strideGrid } from './kernel.js';

/** A pool's geometry over an NHWC input: window k, stride s, output size and the padding before (top, left). */
export interface PoolGeometry {
  k: number;
  s: number;
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
}

const common = (uniformBinding: number) => `
struct U { total: u32, h: i32, w: i32, c: i32, outH: i32, outW: i32, k: i32, s: i32, pt: i32, pl: i32, negInf: f32 }
@group(0) @binding(${uniformBinding}) var<uniform> u: U;
// WGSL lets a compiler assume floats are never NaN (so v != v may fold away): test the bits. (Nor may a constant be
// infinite: -inf comes in the uniforms.)
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
// Value at window tap (ky, kx) of window (oy, ox) of image b, channel ch: -inf outside the input.
fn tap(b: i32, oy: i32, ox: i32, ky: i32, kx: i32, ch: i32) -> f32 {
  let iy = oy * u.s - u.pt + ky;
  let ix = ox * u.s - u.pl + kx;
  if (iy < 0 || iy >= u.h || ix < 0 || ix >= u.w) { return u.negInf; }
  return x[((b * u.h + iy) * u.w + ix) * u.c + ch];
}
// Element i of an NHWC map of rows x cols as (image, row, column, channel).
fn unflat(i: u32, rows: i32, cols: i32) -> vec4<i32> {
  let pixel = i32(i / u32(u.c));
  return vec4<i32>(pixel / (rows * cols), (pixel / cols) % rows, pixel % cols, i32(i % u32(u.c)));
}
// Row-major index in its window of the first NaN of the window, or else of its first maximum.
fn firstMax(b: i32, oy: i32, ox: i32, ch: i32) -> i32 {
  var best = tap(b, oy, ox, 0, 0, ch);
  var at = 0;
  for (var j = 1; j < u.k * u.k; j++) {
    if (isNan(best)) { break; }
    let v = tap(b, oy, ox, j / u.k, j % u.k, ch);
    if (isNan(v) || v > best) { best = v; at = j; }
  }
  return at;
}`;

const FORWARD = `
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
${common(2)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = gid.x; i < u.total; i += nw.x * 64u) {
    let o = unflat(i, u.outH, u.outW);
    let j = firstMax(o.x, o.y, o.z, o.w);
    y[i] = tap(o.x, o.y, o.z, j / u.k, j % u.k, o.w);
  }
}`;

const BACKWARD = `
@group(0) @binding(0) var<storage, read_write> dx: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
${common(3)}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = gid.x; i < u.total; i += nw.x * 64u) {
    let p = unflat(i, u.h, u.w);
    let b = p.x;
    let iy = p.y;
    let ix = p.z;
    let ch = p.w;
    // Windows holding row iy: oy * s - pt <= iy < oy * s - pt + k (likewise for columns).
    let y0 = max(0, (iy + u.pt - u.k + u.s) / u.s);
    let y1 = min(u.outH - 1, (iy + u.pt) / u.s);
    let x0 = max(0, (ix + u.pl - u.k + u.s) / u.s);
    let x1 = min(u.outW - 1, (ix + u.pl) / u.s);
    var g = 0.0;
    for (var oy = y0; oy <= y1; oy++) {
      for (var ox = x0; ox <= x1; ox++) {
        if (firstMax(b, oy, ox, ch) == (iy + u.pt - oy * u.s) * u.k + (ix + u.pl - ox * u.s)) {
          g += dy[((b * u.outH + oy) * u.outW + ox) * u.c + ch];
        }
      }
    }
    dx[i] = g;
  }
}`;

function uniforms(total: number, x: tf.Tensor, g: PoolGeometry) {
  const [, h, w, c] = x.shape as [number, number, number, number];
  const values = [h, w, c, g.outH, g.outW, g.k, g.s, g.padTop, g.padLeft];
  return [
    { type: 'uint32' as const, value: total },
    ...values.map((value) => ({ type: 'int32' as const, value })),
    { type: 'float32' as const, value: -Infinity },
  ];
}

/** The pooled map [N, outH, outW, C] of NHWC `x`. */
export function maxPoolWebgpu(x: tf.Tensor, g: PoolGeometry): tf.Tensor {
  const shape = [x.shape[0]!, g.outH, g.outW, x.shape[3]!];
  const total = shape.reduce((a, b) => a * b, 1);
  const [y] = runKernel({
    name: 'PipeMaxPool',
    wgsl: shader('max-pool', () => FORWARD),
    inputs: [x],
    outputShapes: [shape],
    uniforms: uniforms(total, x, g),
    workgroups: strideGrid(total, 64),
  });
  return y!;
}

/** The gradient with respect to `x` of the pool of `x`, given `dy`. */
export function maxPoolGradWebgpu(dy: tf.Tensor, x: tf.Tensor, g: PoolGeometry): tf.Tensor {
  const [dx] = runKernel({
    name: 'PipeMaxPoolGrad',
    wgsl: shader('max-pool-grad', () => BACKWARD),
    inputs: [x, dy],
    outputShapes: [x.shape],
    uniforms: uniforms(x.size, x, g),
    workgroups: strideGrid(x.size, 64),
  });
  return dx!;
}
