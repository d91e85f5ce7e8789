// The three convolution products of a training step as tiled implicit GEMMs on webgpu, one dispatch each (the
// filter gradient: one more to add split-K partial sums). No im2col buffer, no transposes, no filter flips: each
// kernel gathers its operands' tiles straight from the NHWC activations and the HWIO filter into workgroup memory.
//   forward  y[m=(n,oy,ox), o]   = sum over k=(ky,kx,c) of x(n, oy*s+ky*d-pt, ox*s+kx*d-pl, c) * w[k, o]
//   input    dx[m=(n,iy,ix), c]  = sum over k=(ky,kx,o) of dy(n, (iy+pt-ky*d)/s, (ix+pl-kx*d)/s, o) * w[ky,kx,c,o]
//            over the taps where those divisions are exact only: with stride s > 1 the pixels are split into their
//            s*s stride phases (one slice of workgroups each), and a phase's taps are every s-th one, so no work is
//            spent on the (s*s-1)/(s*s) of taps that would read nothing (3/4 of a pix2pix up-conv's).
//   filter   dw[m=(ky,kx,c), o]  = sum over k=(n,oy,ox) of x(n, oy*s+ky*d-pt, ox*s+kx*d-pl, c) * dy[k, o]
// 32x32 output tiles, 16-deep K steps, 64 threads each computing 4x4 (fits compatibility-mode limits). The tiles in
// workgroup memory are vec4s laid out so that each invocation reads its 4 rows and 4 columns of a K step as one vec4
// each (2 loads, not 8). With tiles = 'f16' the operands are rounded to f16 as they enter the tiles and everything
// after is f32 (why, and where it is used: f16.ts). Two 64x64 variants: tile 64, whose 64 threads compute 8x8 each
// (twice the multiply-adds per load from workgroup memory, half the loads from global memory per output), and tile
// '64w', whose 256 threads compute 4x4 each (the same loads per output, with 4 times the threads per workgroup to
// hide memory latency). Which is fastest depends on the GPU and the layer, so only autotuning picks them
// (conv-autotune.ts). All three compute the same sums in the same order: the same bits, given the same split over K.
import * as tf from '@tensorflow/tfjs-core';
import type { ConvGeometry } from '../ops/geometry.js';
import { runKernel, shader, strideGrid, webgpuBackend, type Uniform } from './kernel.js';

/** The default output tile (32x32; 4x4 per thread), and the K step. */
const TILE = 32;
const TK = 16;

/** Output tile: 32x32 over 64 threads (4x4 each), 64x64 over 64 threads (8x8 each), or 64x64 over 256 (4x4 each). */
export type TileSize = 32 | 64 | '64w';
const edge = (t: TileSize) => (t === 32 ? 32 : 64);
const threadsOf = (t: TileSize) => (t === '64w' ? 256 : 64);

/** Whether the device runs a workgroup of this tile's threads (compatibility mode allows 128). */
export function tileFits(t: TileSize, limits: { maxComputeInvocationsPerWorkgroup?: number }): boolean {
  return threadsOf(t) <= (limits.maxComputeInvocationsPerWorkgroup ?? 128);
}

/** The element type of the workgroup tiles: the operands' precision. */
export type Tiles = 'f32' | 'f16';

const header = (t: TileSize, tile = edge(t)) => `
struct U { M: u32, N: u32, K: u32, kChunk: u32, batch: i32, inH: i32, inW: i32, inC: i32, outH: i32, outW: i32,
  outC: i32, kw: i32, stride: i32, dil: i32, padT: i32, padL: i32, kh: i32, splits: u32 }
// What one slice of workgroups (wid.z) computes: rows [0, M) over k in [kBegin, kEnd); for the input product, the
// stride phase (py, px), its first pixel (iy0, ix0), its size (hP x wP pixels) and its taps (tH x tW).
struct Span { M: u32, kBegin: u32, kEnd: u32, py: i32, px: i32, iy0: i32, ix0: i32, hP: i32, wP: i32, tH: i32, tW: i32 }
@group(0) @binding(0) var<storage, read_write> result: array<f32>;
@group(0) @binding(1) var<storage, read> left: array<f32>;
@group(0) @binding(2) var<storage, read> right: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
// As[kk * ${tile / 4} + r / 4][r % 4] = A(row0 + r, k0 + kk); Bs[kk * ${tile / 4} + c / 4][c % 4] = B(k0 + kk, col0 + c).
var<workgroup> As: array<vec4<T>, ${(tile * TK) / 4}>;
var<workgroup> Bs: array<vec4<T>, ${(TK * tile) / 4}>;
// x(n, iy, ix, c) with zero padding; left holds x.
fn xAt(n: i32, iy: i32, ix: i32, c: i32) -> f32 {
  if (iy < 0 || ix < 0 || iy >= u.inH || ix >= u.inW) { return 0.0; }
  return left[((n * u.inH + iy) * u.inW + ix) * u.inC + c];
}`;

/** The split-K span of slice z (forward and filter products), written to result slice z. */
const SPLIT_K = `
fn span(z: u32) -> Span {
  let kBegin = z * u.kChunk;
  return Span(u.M, kBegin, min(u.K, kBegin + u.kChunk), 0, 0, 0, 0, 0, 0, 0, 0);
}
fn store(sp: Span, z: u32, m: u32, n: u32, v: f32) { result[(z * u.M + m) * u.N + n] = v; }`;

/** B(k, n) = right[k * N + n] (the filter, or dy for the filter gradient): row kb of the tile, n contiguous. */
const plainB = (t: TileSize, tile = edge(t)) => `
fn fillB(sp: Span, k0: u32, col0: u32, li: u32, col: vec4<i32>) {
  for (var e = li; e < ${tile * TK}u; e += ${threadsOf(t)}u) {
    let kb = k0 + e / ${tile}u;
    let n = col0 + e % ${tile}u;
    var b = 0.0;
    if (kb < sp.kEnd && n < u.N) { b = right[kb * u.N + n]; }
    Bs[e / 4u][e % 4u] = T(b);
  }
}`;

/**
 * B(k, n) = w[ky, kx, c=n, o] for k = (tap, o): o is the filter's contiguous axis, so each invocation loads its A
 * column's k (col: ky, kx, o, valid) for several n.
 */
const tapB = (t: TileSize, tile = edge(t), stride = threadsOf(t) / TK) => `
fn fillB(sp: Span, k0: u32, col0: u32, li: u32, col: vec4<i32>) {
  let kk = li % ${TK}u;
  for (var t = 0u; t < ${tile / stride}u; t++) {
    let j = li / ${TK}u + ${stride}u * t;
    let n = col0 + j;
    var b = 0.0;
    if (col.w != 0 && n < u.N) { b = right[((col.x * u.kw + col.y) * u.inC + i32(n)) * u.outC + col.z]; }
    Bs[kk * ${tile / 4}u + j / 4u][j % 4u] = T(b);
  }
}`;

/** The input product's dy(n, oy, ox, o) with oy = (iy + pt - ky*d) / s, zero outside (r: n, iy+pt, ix+pl). */
const inputLoadA = (divide: boolean) => `
fn loadA(r: vec4<i32>, c: vec4<i32>) -> f32 {
  if (r.w == 0 || c.w == 0) { return 0.0; }
  let ty = r.y - c.x * u.dil; let tx = r.z - c.y * u.dil;
  if (ty < 0 || tx < 0) { return 0.0; }
  let oy = ${divide ? 'ty / u.stride' : 'ty'}; let ox = ${divide ? 'tx / u.stride' : 'tx'};
  if (oy >= u.outH || ox >= u.outW) { return 0.0; }
  return left[((r.x * u.outH + oy) * u.outW + ox) * u.outC + c.z];
}`;

/**
 * Per product: span and store; A(m, k) as rowA(m) (per tile row, computed once per kernel) and colA(k) (once per K
 * step), each with a last component 1 where in range, combined by loadA (fillB, for the B tile, is in FILL_B).
 * Keeping the index arithmetic (integer divisions by the geometry) out of the per-element loads matters: it cost
 * more than the multiply-adds.
 */
const LOADERS = {
  forward: `${SPLIT_K}
fn rowA(sp: Span, m: u32) -> vec4<i32> {
  let ox = i32(m) % u.outW; let t = i32(m) / u.outW; let oy = t % u.outH; let n = t / u.outH;
  return vec4<i32>(n, oy * u.stride - u.padT, ox * u.stride - u.padL, i32(m < sp.M));
}
fn colA(sp: Span, k: u32) -> vec4<i32> {
  let c = i32(k) % u.inC; let t = i32(k) / u.inC; let kx = t % u.kw; let ky = t / u.kw;
  return vec4<i32>(ky * u.dil, kx * u.dil, c, i32(k < sp.kEnd));
}
fn loadA(r: vec4<i32>, c: vec4<i32>) -> f32 {
  if (r.w == 0 || c.w == 0) { return 0.0; }
  return xAt(r.x, r.y + c.x, r.z + c.y, c.z);
}`,
  input: `${SPLIT_K}${inputLoadA(false)}
fn rowA(sp: Span, m: u32) -> vec4<i32> {
  let ix = i32(m) % u.inW; let t = i32(m) / u.inW; let iy = t % u.inH; let n = t / u.inH;
  return vec4<i32>(n, iy + u.padT, ix + u.padL, i32(m < sp.M));
}
fn colA(sp: Span, k: u32) -> vec4<i32> {
  let o = i32(k) % u.outC; let t = i32(k) / u.outC; let kx = t % u.kw; let ky = t / u.kw;
  return vec4<i32>(ky, kx, o, i32(k < sp.kEnd));
}`,
  inputPhases: `${inputLoadA(true)}
// Phase z = (py, px): the pixels iy with (iy + padT) % s == py, whose taps are ky = py, py + s, ... (stride > 1, so
// no dilation).
fn firstOf(p: i32, pad: i32) -> i32 { return ((p - pad) % u.stride + u.stride) % u.stride; }
fn countFrom(first: i32, size: i32, step: i32) -> i32 { return max(0, (size - first + step - 1) / step); }
// Slice z is K-chunk z % splits of phase z / splits.
fn span(z: u32) -> Span {
  let phase = i32(z / u.splits); let kBegin = (z % u.splits) * u.kChunk;
  let py = phase / u.stride; let px = phase % u.stride;
  let iy0 = firstOf(py, u.padT); let ix0 = firstOf(px, u.padL);
  let hP = countFrom(iy0, u.inH, u.stride); let wP = countFrom(ix0, u.inW, u.stride);
  let tH = countFrom(py, u.kh, u.stride); let tW = countFrom(px, u.kw, u.stride);
  let kEnd = min(u32(tH * tW * u.outC), kBegin + u.kChunk);
  return Span(u32(u.batch * hP * wP), kBegin, kEnd, py, px, iy0, ix0, hP, wP, tH, tW);
}
// Row m of a phase: image n, pixel (iy, ix).
fn pixel(sp: Span, m: u32) -> vec3<i32> {
  let qx = i32(m) % sp.wP; let t = i32(m) / sp.wP; let qy = t % sp.hP; let n = t / sp.hP;
  return vec3<i32>(n, sp.iy0 + qy * u.stride, sp.ix0 + qx * u.stride);
}
fn rowA(sp: Span, m: u32) -> vec4<i32> {
  let p = pixel(sp, m);
  return vec4<i32>(p.x, p.y + u.padT, p.z + u.padL, i32(m < sp.M));
}
// Column k of a phase: tap (ky, kx) and output channel o.
fn colA(sp: Span, k: u32) -> vec4<i32> {
  let o = i32(k) % u.outC; let t = i32(k) / u.outC; let jx = t % sp.tW; let jy = t / sp.tW;
  return vec4<i32>(sp.py + jy * u.stride, sp.px + jx * u.stride, o, i32(k < sp.kEnd));
}
fn store(sp: Span, z: u32, m: u32, n: u32, v: f32) {
  let p = pixel(sp, m);
  result[(z % u.splits) * u.M * u.N + u32(((p.x * u.inH + p.y) * u.inW + p.z) * u.inC) + n] = v;
}`,
  filter: `${SPLIT_K}
fn rowA(sp: Span, m: u32) -> vec4<i32> {
  let c = i32(m) % u.inC; let t = i32(m) / u.inC; let kx = t % u.kw; let ky = t / u.kw;
  return vec4<i32>(ky * u.dil - u.padT, kx * u.dil - u.padL, c, i32(m < sp.M));
}
fn colA(sp: Span, k: u32) -> vec4<i32> {
  let ox = i32(k) % u.outW; let t = i32(k) / u.outW; let oy = t % u.outH; let n = t / u.outH;
  return vec4<i32>(n, oy * u.stride, ox * u.stride, i32(k < sp.kEnd));
}
fn loadA(r: vec4<i32>, c: vec4<i32>) -> f32 {
  if (r.w == 0 || c.w == 0) { return 0.0; }
  return xAt(c.x, c.y + r.x, c.z + r.y, r.z);
}`,
};

/** Each product's fillB: the filter's taps for the input products, a plain row-major matrix for the others. */
const FILL_B = { forward: plainB, input: tapB, inputPhases: tapB, filter: plainB };

/**
 * The GEMM over a span, for a tile of `tile` x `tile` outputs: each of the wg x wg invocations computes r x r blocks
 * of 4x4 (r = tile / (4 wg)), from r vec4s of A and r vec4s of B per K step.
 */
const gemmMain = (t: TileSize) => {
  const tile = edge(t);
  const threads = threadsOf(t);
  const wg = Math.sqrt(threads);
  const r = tile / (4 * wg);
  const v = tile / 4; // vec4s per K step of a tile
  const loads = (tile * TK) / threads; // A elements each invocation loads per K step
  const rowStep = threads / TK; // rows between an invocation's A loads
  return `
@compute @workgroup_size(${wg}, ${wg})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let sp = span(wid.z);
  let row0 = wid.y * ${tile}u;
  let col0 = wid.x * ${tile}u;
  // This invocation fills column aCol of the A tile's rows aRow + ${rowStep}t.
  let aCol = li % ${TK}u;
  let aRow = li / ${TK}u;
  var rows: array<vec4<i32>, ${loads}>;
  for (var t = 0u; t < ${loads}u; t++) { rows[t] = rowA(sp, row0 + aRow + ${rowStep}u * t); }
  // acc[i * ${r} + j]: rows 4 * (lid.y * ${r}) + i, columns of vec4 j of this invocation's block.
  var acc: array<vec4<f32>, ${16 * r}>;
  for (var k0 = sp.kBegin; k0 < sp.kEnd; k0 += ${TK}u) {
    let col = colA(sp, k0 + aCol);
    for (var t = 0u; t < ${loads}u; t++) {
      let rr = aRow + ${rowStep}u * t;
      As[aCol * ${v}u + rr / 4u][rr % 4u] = T(loadA(rows[t], col));
    }
    fillB(sp, k0, col0, li, col);
    workgroupBarrier();
    for (var kk = 0u; kk < ${TK}u; kk++) {
      for (var i4 = 0u; i4 < ${r}u; i4++) {
        let a = vec4<f32>(As[kk * ${v}u + lid.y * ${r}u + i4]);
        for (var j = 0u; j < ${r}u; j++) {
          let b = vec4<f32>(Bs[kk * ${v}u + lid.x * ${r}u + j]);
          for (var i = 0u; i < 4u; i++) { acc[(i4 * 4u + i) * ${r}u + j] += a[i] * b; }
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < ${4 * r}u; i++) {
    for (var j = 0u; j < ${4 * r}u; j++) {
      let m = row0 + lid.y * ${4 * r}u + i;
      let n = col0 + lid.x * ${4 * r}u + j;
      if (m < sp.M && n < u.N) { store(sp, wid.z, m, n, acc[i * ${r}u + j / 4u][j % 4u]); }
    }
  }
}`;
};

export type Product = keyof typeof LOADERS;

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

function uniforms(g: ConvGeometry, M: number, N: number, K: number, kChunk: number, splits: number): Uniform[] {
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
    i32(g.kh),
    u32(splits),
  ];
}

/**
 * The dispatch grid of a product: `slices` slices of workgroups (wid.z) over `rows` rows, into `outShape`; K in
 * chunks of `kChunk`, `splits` of them (each slice one chunk).
 */
interface Grid {
  rows: number;
  slices: number;
  kChunk: number;
  splits: number;
  outShape: number[];
  tiles: Tiles;
  tile: TileSize;
}

/** The WGSL of a product's kernel, with tiles of `tiles` precision and `tile` x `tile` outputs. */
export function convShader(product: Product, tiles: Tiles, tile: TileSize = TILE): string {
  // Checked when the text is first made, not per dispatch: a process has one webgpu device.
  return shader(`conv/${product}/${tiles}/${tile}`, () => {
    if (!tileFits(tile, webgpuBackend().device.limits)) {
      throw new Error(`conv: a ${tile} tile needs ${threadsOf(tile)} invocations per workgroup; this device has fewer`);
    }
    return (
      `${tiles === 'f16' ? 'enable f16;\n' : ''}alias T = ${tiles};${header(tile)}${LOADERS[product]}` +
      `${FILL_B[product](tile)}${gemmMain(tile)}`
    );
  });
}

function gemm(
  product: Product,
  left: tf.Tensor,
  right: tf.Tensor,
  g: ConvGeometry,
  M: number,
  N: number,
  K: number,
  grid: Grid,
) {
  const size = grid.tile === TILE ? '' : `_t${grid.tile}`;
  const [out] = runKernel({
    name: `PipeConv_${product === 'inputPhases' ? 'input' : product}${grid.tiles === 'f16' ? '_f16' : ''}${size}`,
    wgsl: convShader(product, grid.tiles, grid.tile),
    inputs: [left, right],
    outputShapes: [grid.outShape],
    uniforms: uniforms(g, M, N, K, grid.kChunk, grid.splits),
    workgroups: [Math.ceil(N / edge(grid.tile)), Math.ceil(grid.rows / edge(grid.tile)), grid.slices],
  });
  return out!;
}

/**
 * K-chunks for a product of `tiles` output tiles and reduction length K: enough workgroups to fill a GPU (~1000)
 * without chunks shorter than 256. A U-Net's inner layers (a few pixels, 512 channels, K up to 8192) would otherwise
 * run on a few dozen workgroups, each looping over all of K.
 */
function splitsFor(tiles: number, K: number): number {
  return Math.max(1, Math.min(Math.floor(K / 256), Math.ceil(1024 / tiles), 64));
}

const tilesOf = (rows: number, N: number, tile: TileSize) => Math.ceil(rows / edge(tile)) * Math.ceil(N / edge(tile));

/** K in about `splits` chunks of a multiple of TK: the chunk length, and how many chunks that makes. */
function chunking(K: number, splits: number): { kChunk: number; z: number } {
  const kChunk = Math.ceil(K / splits / TK) * TK;
  return { kChunk, z: Math.ceil(K / kChunk) };
}

/** The split-K partial sums [z, M, N] added into [M, N] by one more dispatch (the parts are released). */
function addSplits(parts: tf.Tensor, z: number, M: number, N: number): tf.Tensor {
  if (z === 1) return parts;
  const [sum] = runKernel({
    name: 'PipeSumSplits',
    wgsl: SUM_SPLITS,
    inputs: [parts],
    outputShapes: [[M, N]],
    uniforms: [
      { type: 'uint32', value: M * N },
      { type: 'uint32', value: z },
    ],
    workgroups: strideGrid(M * N, 64),
  });
  parts.dispose();
  return sum!;
}

/** A split-K product: `splits` K-chunks, each its own slice of workgroups, then one dispatch adding the slices. */
function splitKGemm(
  product: Product,
  left: tf.Tensor,
  right: tf.Tensor,
  g: ConvGeometry,
  M: number,
  N: number,
  K: number,
  splits: number,
  tiles: Tiles,
  tile: TileSize,
) {
  const { kChunk, z } = chunking(K, splits);
  const grid = { rows: M, slices: z, kChunk, splits: z, outShape: [z, M, N], tiles, tile };
  return addSplits(gemm(product, left, right, g, M, N, K, grid), z, M, N);
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

/**
 * How a product runs: `splits` K-chunks (default: splitsFor), the tiles' precision (default f32), and the output
 * tile's size (default 32).
 */
export interface ProductOptions {
  splits?: number;
  tiles?: Tiles;
  tile?: TileSize;
}

/** y = conv(x, w): [N, outH, outW, outC]. */
export function forwardConvWebgpu(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, o: ProductOptions = {}) {
  const M = g.batch * g.outH * g.outW;
  const K = g.kh * g.kw * g.inC;
  const tile = o.tile ?? TILE;
  const splits = o.splits ?? splitsFor(tilesOf(M, g.outC, tile), K);
  const out = splitKGemm('forward', x, w, g, M, g.outC, K, splits, o.tiles ?? 'f32', tile);
  return reshapeOwned(out, [g.batch, g.outH, g.outW, g.outC]);
}

/**
 * dx for dy [N, outH, outW, outC]: the transposed convolution, [N, inH, inW, inC], one slice of workgroups per
 * stride phase, each as tall as the largest phase.
 */
export function inputGradWebgpu(dy: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry, o: ProductOptions = {}) {
  const s = g.stride;
  const M = g.batch * g.inH * g.inW;
  const K = g.kh * g.kw * g.outC;
  const tiles = o.tiles ?? 'f32';
  const tile = o.tile ?? TILE;
  const shape: [number, number, number, number] = [g.batch, g.inH, g.inW, g.inC];
  if (s === 1) {
    const splits = o.splits ?? splitsFor(tilesOf(M, g.inC, tile), K);
    return reshapeOwned(splitKGemm('input', dy, w, g, M, g.inC, K, splits, tiles, tile), shape);
  }
  const rows = g.batch * Math.ceil(g.inH / s) * Math.ceil(g.inW / s);
  const kMax = Math.ceil(g.kh / s) * Math.ceil(g.kw / s) * g.outC; // the taps of the phase with the most
  const { kChunk, z } = chunking(kMax, o.splits ?? splitsFor(s * s * tilesOf(rows, g.inC, tile), kMax));
  const grid = { rows, slices: s * s * z, kChunk, splits: z, outShape: [z, M, g.inC], tiles, tile };
  const out = addSplits(gemm('inputPhases', dy, w, g, M, g.inC, K, grid), z, M, g.inC);
  return reshapeOwned(out, shape);
}

/**
 * dW [kh, kw, inC, outC]. The reduction runs over every output pixel (65,536 at 256x256) while the filter is small,
 * so it is split into `splits` K-chunks, each its own slice of workgroups, summed by one more dispatch.
 */
export function filterGradWebgpu(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry, o: ProductOptions = {}) {
  const M = g.kh * g.kw * g.inC;
  const K = g.batch * g.outH * g.outW;
  const tile = o.tile ?? TILE;
  const splits = o.splits ?? splitsFor(tilesOf(M, g.outC, tile), K);
  const out = splitKGemm('filter', x, dy, g, M, g.outC, K, splits, o.tiles ?? 'f32', tile);
  return reshapeOwned(out, [g.kh, g.kw, g.inC, g.outC]);
}
