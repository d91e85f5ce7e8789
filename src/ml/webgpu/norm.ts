// Batch and instance normalisation (training mode, biased variance) on webgpu in 2 dispatches forward and 2 backward
// instead of ~10 and ~15 stock kernels: a per-group statistics pass (one workgroup per group, tree reduction in
// workgroup memory), then one elementwise pass. A group is a channel (batch norm: over N, H, W) or an image's
// channel (instance norm: over H, W). NHWC: element k of group g is at base(g) + k*C.
// With `act`, a following ReLU / LeakyReLU is fused in: applied in the elementwise pass, and its gradient (dy where
// the output is > 0, else alpha * dy: the output is > 0 exactly where its input is) folded into both backward passes,
// so the activation costs no dispatch either way.
import * as tf from '@tensorflow/tfjs-core';
import { runKernel, strideGrid, type Uniform } from './kernel.js';
import { normCustomGrad, type NormBackward, type NormForward } from '../ops/norm-custom-grad.js';

const WG = 64;

const COMMON = `
struct U { C: u32, count: u32, groupStride: u32, n: u32, eps: f32, alpha: f32 }
fn base(g: u32) -> u32 { return (g / u.C) * u.groupStride + g % u.C; }
fn groupOf(i: u32) -> u32 { return (i / u.groupStride) * u.C + i % u.C; }
var<workgroup> s1: array<f32, ${WG}>;
var<workgroup> s2: array<f32, ${WG}>;
fn reduce2(lid: u32) {
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { s1[lid] += s1[lid + s]; s2[lid] += s2[lid + s]; }
    workgroupBarrier();
  }
}`;

/** stats[2g] = mean, stats[2g+1] = 1/sqrt(var + eps). */
const STATS = `${COMMON}
@group(0) @binding(0) var<storage, read_write> stats: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = base(wid.x);
  var acc = 0.0;
  for (var k = lid; k < u.count; k += ${WG}u) { acc += x[b + k * u.C]; }
  s1[lid] = acc;
  s2[lid] = 0.0;
  workgroupBarrier();
  reduce2(lid);
  let mean = s1[0] / f32(u.count);
  workgroupBarrier();
  var acc2 = 0.0;
  for (var k = lid; k < u.count; k += ${WG}u) { let d = x[b + k * u.C] - mean; acc2 += d * d; }
  s1[lid] = 0.0;
  s2[lid] = acc2;
  workgroupBarrier();
  reduce2(lid);
  if (lid == 0u) {
    stats[2u * wid.x] = mean;
    stats[2u * wid.x + 1u] = inverseSqrt(s2[0] / f32(u.count) + u.eps);
  }
}`;

const affineBindings = (first: number) => `
@group(0) @binding(${first}) var<storage, read> gamma: array<f32>;
@group(0) @binding(${first + 1}) var<storage, read> beta: array<f32>;`;

/** The activation's gradient at element i from the fused output y (ReLU: alpha 0), or dy itself. */
const dyAt = (act: boolean) => (act ? 'select(u.alpha * dy[i], dy[i], y[i] > 0.0)' : 'dy[i]');
const yBinding = (act: boolean, at: number) =>
  act ? `\n@group(0) @binding(${at}) var<storage, read> y: array<f32>;` : '';

/** y = (x - mean) * rstd (* gamma + beta), then the activation if any. */
const apply = (affine: boolean, act: boolean) => `${COMMON}
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;${affine ? affineBindings(3) : ''}
@group(0) @binding(${affine ? 5 : 3}) var<uniform> u: U;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = gid.x; i < u.n; i += nw.x * ${WG}u) {
    let g = groupOf(i);
    let xhat = (x[i] - stats[2u * g]) * stats[2u * g + 1u];
    let z = ${affine ? 'xhat * gamma[i % u.C] + beta[i % u.C]' : 'xhat'};
    y[i] = ${act ? 'select(u.alpha * z, z, z > 0.0)' : 'z'};
  }
}`;

/** sdy[g] = sum d, sdyx[g] = sum d * xhat, d = dy through the activation. */
const gradSums = (act: boolean) => `${COMMON}
@group(0) @binding(0) var<storage, read_write> sdy: array<f32>;
@group(0) @binding(1) var<storage, read_write> sdyx: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;${yBinding(act, 5)}
@group(0) @binding(${act ? 6 : 5}) var<uniform> u: U;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = base(wid.x);
  let mean = stats[2u * wid.x];
  let rstd = stats[2u * wid.x + 1u];
  var a1 = 0.0;
  var a2 = 0.0;
  for (var k = lid; k < u.count; k += ${WG}u) {
    let i = b + k * u.C;
    let d = ${dyAt(act)};
    a1 += d;
    a2 += d * (x[i] - mean) * rstd;
  }
  s1[lid] = a1;
  s2[lid] = a2;
  workgroupBarrier();
  reduce2(lid);
  if (lid == 0u) { sdy[wid.x] = s1[0]; sdyx[wid.x] = s2[0]; }
}`;

/** dx = gamma * rstd * (d - sdy/count - xhat * sdyx/count), d = dy through the activation. */
const inputGrad = (affine: boolean, act: boolean) => `${COMMON}
@group(0) @binding(0) var<storage, read_write> dx: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> sdy: array<f32>;
@group(0) @binding(5) var<storage, read> sdyx: array<f32>;${yBinding(act, 6)}${affine ? `\n@group(0) @binding(${act ? 7 : 6}) var<storage, read> gamma: array<f32>;` : ''}
@group(0) @binding(${6 + Number(act) + Number(affine)}) var<uniform> u: U;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let inv = 1.0 / f32(u.count);
  for (var i = gid.x; i < u.n; i += nw.x * ${WG}u) {
    let g = groupOf(i);
    let rstd = stats[2u * g + 1u];
    let xhat = (x[i] - stats[2u * g]) * rstd;
    dx[i] = ${affine ? 'gamma[i % u.C] * ' : ''}rstd * (${dyAt(act)} - sdy[g] * inv - xhat * sdyx[g] * inv);
  }
}`;

interface Layout {
  groups: number;
  uniforms: Uniform[];
}

function layout(shape: number[], perImage: boolean, eps: number, alpha: number): Layout {
  const [n, h, w, c] = shape as [number, number, number, number];
  const groups = perImage ? n * c : c;
  if (groups > 65535) throw new Error(`normalisation on webgpu: ${groups} groups exceed one dispatch dimension`);
  const count = perImage ? h * w : n * h * w;
  const size = n * h * w * c;
  const u = (type: Uniform['type'], value: number): Uniform => ({ type, value });
  return {
    groups,
    uniforms: [
      u('uint32', c),
      u('uint32', count),
      u('uint32', perImage ? h * w * c : size),
      u('uint32', size),
      u('float32', eps),
      u('float32', alpha),
    ],
  };
}

/** The options of one normalisation on webgpu. */
export interface NormWebgpuOptions {
  /** Instance norm (statistics per image and channel), else batch norm. */
  perImage: boolean;
  gamma?: tf.Tensor1D;
  beta?: tf.Tensor1D;
  eps: number;
  /** A ReLU (alpha 0) or LeakyReLU applied to the result, fused in; none when absent. */
  act?: { alpha: number };
}

/**
 * Normalised x (times gamma plus beta when given, then the activation) with its closed-form gradient, as
 * normalize.ts computes it on other backends.
 */
export function normalizeWebgpu(x: tf.Tensor4D, o: NormWebgpuOptions): tf.Tensor4D {
  const L = layout(x.shape, o.perImage, o.eps, o.act?.alpha ?? 0);
  const affine = o.gamma !== undefined && o.beta !== undefined;
  const act = o.act !== undefined;
  const grid = strideGrid(x.size, WG);
  const forward: NormForward = (xt, g, b, save) => {
    const [stats] = runKernel({
      name: 'PipeNormStats',
      wgsl: STATS,
      inputs: [xt],
      outputShapes: [[2 * L.groups]],
      uniforms: L.uniforms,
      workgroups: [L.groups],
    });
    const [y] = runKernel({
      name: act ? 'PipeNormApplyAct' : 'PipeNormApply',
      wgsl: apply(affine, act),
      inputs: affine ? [xt, stats!, g!, b!] : [xt, stats!],
      outputShapes: [xt.shape],
      uniforms: L.uniforms,
      workgroups: grid,
    });
    save(act ? [xt, stats!, y!] : [xt, stats!]);
    return y as tf.Tensor4D;
  };
  const backward: NormBackward = (dy, saved, g) => {
    const [xs, stats, y] = saved as [tf.Tensor4D, tf.Tensor, tf.Tensor?];
    const withY = (inputs: tf.Tensor[]) => (y ? [...inputs, y] : inputs);
    const [sdy, sdyx] = runKernel({
      name: act ? 'PipeNormActGradSums' : 'PipeNormGradSums',
      wgsl: gradSums(act),
      inputs: withY([dy, xs, stats]),
      outputShapes: [[L.groups], [L.groups]],
      uniforms: L.uniforms,
      workgroups: [L.groups],
    });
    const inputs = withY([dy, xs, stats, sdy!, sdyx!]);
    const [dx] = runKernel({
      name: act ? 'PipeNormActInputGrad' : 'PipeNormInputGrad',
      wgsl: inputGrad(affine, act),
      inputs: affine ? [...inputs, g!] : inputs,
      outputShapes: [xs.shape],
      uniforms: L.uniforms,
      workgroups: grid,
    });
    if (affine) return [dx!, perChannel(sdyx!, L.groups, x.shape[3]), perChannel(sdy!, L.groups, x.shape[3])];
    tf.dispose([sdy!, sdyx!]);
    return [dx!];
  };
  return normCustomGrad(x, o.gamma, o.beta, forward, backward);
}

/** Per channel: sum over images (instance norm with batch > 1); a reshape only otherwise. */
function perChannel(t: tf.Tensor, groups: number, c: number): tf.Tensor {
  return groups === c ? tf.reshape(t, [c]) : tf.sum(tf.reshape(t, [groups / c, c]), 0);
}
