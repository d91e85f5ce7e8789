// The three convolution products of a training step as tiled implicit GEMMs on webgpu, one dispatch each (the
// filter gradient: one more to add split-K partial sums). No im2col buffer, no transposes, no filter flips: each
// kernel gathers its operands' tiles straight from the NHWC activations and the HWIO filter into workgroup memory.
//   forward  y[m=(n,oy,ox), o]   = sum over k=(ky,kx,c) of x(n, oy*s+ky*d-pt, ox*s+kx*d-pl, c) * w[k, o]
//   input    dx[m=(n,iy,ix), c]  = sum over k=(ky,kx,o) of dy(n, (iy+pt-ky*d)/s, (ix+pl-kx*d)/s, o) * w[ky,kx,c,o]
//   filter   dw[m=(ky,kx,c), o]  = sum over k=(n,oy,ox) of x(n, oy*s+ky*d-pt, ox*s+kx*d-pl, c) * dy[k, o]
// 32x32 output tiles, 16-deep K steps, 64 threads each computing 4x4 (fits compatibility-mode limits).
import * as tf from '@tensorflow/tfjs-core';
import type { ConvGeometry } from '../ops/geometry.js';
import { runKernel, strideGrid, type Uniform } from './kernel.js';

const TILE = 32;
const TK = 16;

const HEADER = `
struct U { M: u32, N: u32, K: u32, kChunk: u32, batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32,
  outC: i32, kw: i32, stride: i32, dil: i32, padT: i32, padL: i32 }
@group(0) @binding(0) var<storage, read_write> result: array<f32>;
@group(0) @binding(1) var<storage, read> left: array<f32>;
@group(0) @binding(2) var<storage, read> right: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
var<workgroup> As: array<f32, ${TILE * TK}>;
var<workgroup> Bs: array<f32, ${TK * TILE}>;
// x(n, iy, ix, c) with zero padding; left holds x.
fn xAt(n: i32, iy: i32, ix: i32, c: i32) -> f32 {
  if (iy < 0 || ix < 0 || iy >= u.inH || ix >= u.inW) { return 0.0; }
  return left[((n * u.inH + iy) * u.inW + ix) * u.inC + c];
}`;

/** Operand loaders per product: A(m, k) from `left`, B(k, n) from `right`. */
const LOADERS = {
  forward: `
fn loadA(m: u32, k: u32) -> f32 {
  let ox = i32(m) % u.outW; let t = i32(m) / u.outW; let oy = t % u.outH; let n = t / u.outH;
  let c = i32(k) % u.inC; let t2 = i32(k) / u.inC; let kx = t2 % u.kw; let ky = t2 / u.kw;
  return xAt(n, oy * u.stride + ky * u.dil - u.padT, ox * u.stride + kx * u.dil - u.padL, c);
}
fn loadB(k: u32, n: u32) -> f32 { return right[k * u.N + n]; }`,
  input: `
fn loadA(m: u32, k: u32) -> f32 {
  let ix = i32(m) % u.inW; let t = i32(m) / u.inW; let iy = t % u.inH; let n = t / u.inH;
  let o = i32(k) % u.outC; let t2 = i32(k) / u.outC; let kx = t2 % u.kw; let ky = t2 / u.kw;
  let ty = iy + u.padT - ky * u.dil; let tx = ix + u.padL - kx * u.dil;
  if (ty < 0 || tx < 0 || ty % u.stride != 0 || tx % u.stride != 0) { return 0.0; }
  let oy = ty / u.stride; let ox = tx / u.stride;
  if (oy >= u.outH || ox >= u.outW) { return 0.0; }
  return left[((n * u.outH + oy) * u.outW + ox) * u.outC + o];
}
fn loadB(k: u32, n: u32) -> f32 {
  let o = k % u32(u.outC); let tap = k / u32(u.outC);
  return right[(tap * u32(u.inC) + n) * u32(u.outC) + o];
}`,
  filter: `
fn loadA(m: u32, k: u32) -> f32 {
  let c = i32(m) % u.inC; let t = i32(m) / u.inC; let kx = t % u.kw; let ky = t / u.kw;
  let ox = i32(k) % u.outW; let t2 = i32(k) / u.outW; let oy = t2 % u.outH; let n = t2 / u.outH;
  return xAt(n, oy * u.stride + ky * u.dil - u.padT, ox * u.stride + kx * u.dil - u.padL, c);
}
fn loadB(k: u32, n: u32) -> f32 { return right[k * u.N + n]; }`,
};

const GEMM = `
@compute @workgroup_size(8, 8)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let row0 = wid.y * ${TILE}u;
  let col0 = wid.x * ${TILE}u;
  let kBegin = wid.z * u.kChunk;
  let kEnd = min(u.K, kBegin + u.kChunk);
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = kBegin; k0 < kEnd; k0 += ${TK}u) {
    for (var e = li; e < ${TILE * TK}u; e += 64u) {
      let m = row0 + e / ${TK}u;
      let ka = k0 + e % ${TK}u;
      var a = 0.0;
      if (m < u.M && ka < kEnd) { a = loadA(m, ka); }
      As[e] = a;
      let kb = k0 + e / ${TILE}u;
      let n = col0 + e % ${TILE}u;
      var b = 0.0;
      if (kb < kEnd && n < u.N) { b = loadB(kb, n); }
      Bs[e] = b;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      var av: array<f32, 4>;
      var bv: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { av[i] = As[(lid.y * 4u + i) * ${TK}u + kk]; }
      for (var j = 0u; j < 4u; j++) { bv[j] = Bs[kk * ${TILE}u + lid.x * 4u + j]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i][j] += av[i] * bv[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      let m = row0 + lid.y * 4u + i;
      let n = col0 + lid.x * 4u + j;
      if (m < u.M && n < u.N) { result[(wid.z * u.M + m) * u.N + n] = acc[i][j]; }
    }
  }
}`;

type Product = keyof typeof LOADERS;

/** out[i] = sum over z of parts[z, i]: the split-K partial sums added in one pass. */
const SUM_SPLITS = `
struct U { n: u32, z: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> parts: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = gid.x; i < u.n; i += nw.x * 64u) {
    var s = 0.0;
    for (var z = 0u; z < u.z; z++) { s += parts[z * u.n + i]; }
    out[i] = s;
  }
}`;

function uniforms(g: ConvGeometry, M: number, N: number, K: number, kChunk: number): Uniform[] {
  const u32 = (value: number): Uniform => ({ type: 'uint32', value });
  const i32 = (value: number): Uniform => ({ type: 'int32', value });
  return [
    u32(M),
    u32(N),
    u32(K),
    u32(kChunk),
    i32(g.batch),
    i32(g.inH),
    i32(g.inW),
    i32(g.inC),
    i32(g.outH),
    i32(g.outW),
    i32(g.outC),
    i32(g.kw),
    i32(g.stride),
    i32(g.dilation),
    i32(g.padTop),
    i32(g.padLeft),
  ];
}

function gemm(
  product: Product,
  left: tf.Tensor,
  right: tf.Tensor,
  g: ConvGeometry,
  M: number,
  N: number,
  K: number,
  splits: number,
): tf.Tensor {
  const kChunk = Math.ceil(K / splits / TK) * TK;
  const z = Math.ceil(K / kChunk);
  const [out] = runKernel({
    name: `PipeConv_${product}`,
    wgsl: HEADER + LOADERS[product] + GEMM,
    inputs: [left, right],
    outputShapes: [[z, M, N]],
    uniforms: uniforms(g, M, N, K, kChunk),
    workgroups: [Math.ceil(N / TILE), Math.ceil(M / TILE), z],
  });
  if (z === 1) return out!;
  const [sum] = runKernel({
    name: 'PipeSumSplits',
    wgsl: SUM_SPLITS,
    inputs: [out!],
    outputShapes: [[M, N]],
    uniforms: [
      { type: 'uint32', value: M * N },
      { type: 'uint32', value: z },
    ],
    workgroups: strideGrid(M * N, 64),
  });
  out!.dispose();
  return sum!;
}

/** Whether all three products of this geometry fit one dispatch (<= 65535 row tiles); else the stock path runs. */
export function convFitsWebgpu(g: ConvGeometry): boolean {
  const rows = Math.max(g.batch * g.outH * g.outW, g.batch * g.inH * g.inW, g.kh * g.kw * g.inC);
  return Math.ceil(rows / TILE) <= 65535 && Math.ceil(Math.max(g.outC, g.inC) / TILE) <= 65535;
}

/** A reshaped view of `t`, which is then released (the view keeps the storage). */
function reshapeOwned(t: tf.Tensor, shape: [number, number, number, number]): tf.Tensor4D {
  const r = tf.reshape(t, shape) as tf.Tensor4D;
  t.dispose();
  return r;
}

/** y = conv(x, w): [N, outH, outW, outC]. */
export function forwardConvWebgpu(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const out = gemm('forward', x, w, g, g.batch * g.outH * g.outW, g.outC, g.kh * g.kw * g.inC, 1);
  return reshapeOwned(out, [g.batch, g.outH, g.outW, g.outC]);
}

/** dx for dy [N, outH, outW, outC]: the transposed convolution, [N, inH, inW, inC]. */
export function inputGradWebgpu(dy: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const out = gemm('input', dy, w, g, g.batch * g.inH * g.inW, g.inC, g.kh * g.kw * g.outC, 1);
  return reshapeOwned(out, [g.batch, g.inH, g.inW, g.inC]);
}

/**
 * dW [kh, kw, inC, outC]. The reduction runs over every output pixel (65,536 at 256x256) while the filter is small,
 * so it is split into `splits` K-chunks, each its own slice of workgroups, summed by one more dispatch.
 */
export function filterGradWebgpu(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry, splits?: number): tf.Tensor4D {
  const M = g.kh * g.kw * g.inC;
  const K = g.batch * g.outH * g.outW;
  // Enough workgroups to fill a GPU (~1000) without chunks shorter than 256 pixels.
  const tiles = Math.ceil(M / TILE) * Math.ceil(g.outC / TILE);
  const s = splits ?? Math.max(1, Math.min(Math.floor(K / 256), Math.ceil(1024 / tiles), 64));
  const out = gemm('filter', x, dy, g, M, g.outC, K, s);
  return reshapeOwned(out, [g.kh, g.kw, g.inC, g.outC]);
}
