// Batch and instance normalisation (training mode, biased variance) on webgpu in 2 dispatches forward and 2 backward
// instead of ~10 and ~15 stock kernels: a per-group statistics pass (one workgroup per group, tree reduction in
// workgroup memory, or subgroups where the device has them: webgpu/subgroups.ts), then one elementwise pass. A group is a channel (batch norm: over N, H, W) or an image's
// channel (instance norm: over H, W). NHWC: element k of group g is at base(g) + k*C.
// Fused in where asked:
// - `act`: a following ReLU / LeakyReLU, applied in the elementwise pass; its gradient (dy where the output is > 0,
//   else alpha * dy: the output is > 0 exactly where its input is) folded into both backward passes;
// - `bias`: the preceding conv's bias, added to x wherever x is read (the same single f32 add as the stock Add), so
//   the bias costs no forward dispatch; its gradient is the channel sum of dx, as for a bias add.
import * as tf from '@tensorflow/tfjs-core';
import { channelSumWebgpu } from './bias.js';
import { runKernel, shader, strideGrid, type Uniform } from './kernel.js';
import { subgroupsInUse, workgroupSumNow, type WorkgroupSum } from './subgroups.js';
import { normCustomGrad, type NormBackward, type NormForward } from '../ops/norm-custom-grad.js';

const WG = 64;

const COMMON = `
struct U { C: u32, count: u32, groupStride: u32, n: u32, eps: f32, alpha: f32 }
fn base(g: u32) -> u32 { return (g / u.C) * u.groupStride + g % u.C; }
fn groupOf(i: u32) -> u32 { return (i / u.groupStride) * u.C + i % u.C; }`;

/** Bindings in runKernel's order (outputs, then inputs, then the uniforms), and xv(i): x[i] plus the bias if any. */
function header(outputs: string[], inputs: string[], sum?: WorkgroupSum): string {
  const xv = inputs.includes('bias') ? 'x[i] + bias[i % u.C]' : 'x[i]';
  return [
    (sum?.enable ?? '') + COMMON,
    sum?.decl ?? '',
    ...outputs.map((n, i) => `@group(0) @binding(${i}) var<storage, read_write> ${n}: array<f32>;`),
    ...inputs.map((n, i) => `@group(0) @binding(${outputs.length + i}) var<storage, read> ${n}: array<f32>;`),
    `@group(0) @binding(${outputs.length + inputs.length}) var<uniform> u: U;`,
    `fn xv(i: u32) -> f32 { return ${xv}; }`,
  ].join('\n');
}

/** stats[2g] = mean, stats[2g+1] = 1/sqrt(var + eps). */
const statsBody = (sum: WorkgroupSum) => `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32${sum.params}) {
  let b = base(wid.x);
  var acc = 0.0;
  for (var k = lid; k < u.count; k += ${WG}u) { acc += xv(b + k * u.C); }
  let mean = ${sum.call('acc')} / f32(u.count);
  var acc2 = 0.0;
  for (var k = lid; k < u.count; k += ${WG}u) { let d = xv(b + k * u.C) - mean; acc2 += d * d; }
  let ss = ${sum.call('acc2')};
  if (lid == 0u) {
    stats[2u * wid.x] = mean;
    stats[2u * wid.x + 1u] = inverseSqrt(ss / f32(u.count) + u.eps);
  }
}`;

/** A kernel with a workgroup sum: its body and the sum it declares. */
interface Reduction {
  body: string;
  sum: WorkgroupSum;
}

const statsKernel = (): Reduction => {
  const sum = workgroupSumNow('f32', WG);
  return { body: statsBody(sum), sum };
};

const gradSumsKernel = (act: boolean): Reduction => {
  const sum = workgroupSumNow('vec2<f32>', WG);
  return { body: gradSumsBody(act, sum), sum };
};

/** The activation's gradient at element i from the fused output y (ReLU: alpha 0), or dy itself. */
const dyAt = (act: boolean) => (act ? 'select(u.alpha * dy[i], dy[i], y[i] > 0.0)' : 'dy[i]');

/** y = (x - mean) * rstd (* gamma + beta), then the activation or the residual if any. */
const apply = (affine: boolean, act: boolean, residual: boolean) => `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = gid.x; i < u.n; i += nw.x * ${WG}u) {
    let g = groupOf(i);
    let xhat = (xv(i) - stats[2u * g]) * stats[2u * g + 1u];
    let z = ${affine ? 'xhat * gamma[i % u.C] + beta[i % u.C]' : 'xhat'};
    y[i] = ${act ? 'select(u.alpha * z, z, z > 0.0)' : residual ? 'residual[i] + z' : 'z'};
  }
}`;

/** sdy[g] = sum d, sdyx[g] = sum d * xhat, d = dy through the activation. */
const gradSumsBody = (act: boolean, sum: WorkgroupSum) => `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32${sum.params}) {
  let b = base(wid.x);
  let mean = stats[2u * wid.x];
  let rstd = stats[2u * wid.x + 1u];
  var acc = vec2<f32>(0.0, 0.0);
  for (var k = lid; k < u.count; k += ${WG}u) {
    let i = b + k * u.C;
    let d = ${dyAt(act)};
    acc += vec2<f32>(d, d * (xv(i) - mean) * rstd);
  }
  let total = ${sum.call('acc')};
  if (lid == 0u) { sdy[wid.x] = total.x; sdyx[wid.x] = total.y; }
}`;

/** dx = gamma * rstd * (d - sdy/count - xhat * sdyx/count), d = dy through the activation. */
const inputGrad = (affine: boolean, act: boolean) => `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let inv = 1.0 / f32(u.count);
  for (var i = gid.x; i < u.n; i += nw.x * ${WG}u) {
    let g = groupOf(i);
    let rstd = stats[2u * g + 1u];
    let xhat = (xv(i) - stats[2u * g]) * rstd;
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

/** Named inputs: the WGSL binding names and the tensors, in the same order. */
type Named = [string, tf.Tensor | undefined][];

/**
 * One dispatch of the kernel `make` writes (its variant named by `variant`) over the named outputs and inputs
 * (entries without a tensor are left out).
 */
function dispatch(
  name: string,
  variant: string,
  make: () => string | Reduction,
  outputs: [string, number[]][],
  named: Named,
  L: Layout,
  wg: [number],
) {
  const inputs = named.filter((e): e is [string, tf.Tensor] => e[1] !== undefined);
  const [outNames, inNames] = [outputs.map((o) => o[0]), inputs.map((e) => e[0])];
  const key = `norm/${name}/${variant}/${outNames.join()}/${inNames.join()}/${subgroupsInUse()}`;
  return runKernel({
    name,
    wgsl: shader(key, () => {
      const kernel = make();
      const { body, sum } = typeof kernel === 'string' ? { body: kernel, sum: undefined } : kernel;
      return header(outNames, inNames, sum) + body;
    }),
    inputs: inputs.map((e) => e[1]),
    outputShapes: outputs.map((o) => o[1]),
    uniforms: L.uniforms,
    workgroups: wg,
  });
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
  /** A per-channel bias added to x before the normalisation (a conv's), fused in. */
  bias?: tf.Tensor1D;
  /** A tensor of x's shape added to the result (a ResNet block's input), fused in; not with `act`. */
  residual?: tf.Tensor4D;
}

interface Plan {
  L: Layout;
  affine: boolean;
  act: boolean;
  bias: boolean;
  residual: boolean;
  grid: [number];
  channels: number;
}

/** The op's parameters by name: gamma and beta (affine), then the bias, then the residual, each when present. */
function unpack(plan: Plan, params: tf.Tensor[]) {
  const rest = [...params];
  const [g, b] = plan.affine ? rest.splice(0, 2) : [];
  const bias = plan.bias ? rest.shift() : undefined;
  return { g, b, bias, residual: plan.residual ? rest.shift() : undefined };
}

const forwardOf =
  (plan: Plan): NormForward =>
  (xt, params, save) => {
    const { g, b, bias, residual } = unpack(plan, params);
    const { L, affine, act } = plan;
    const [stats] = dispatch(
      'PipeNormStats',
      '',
      statsKernel,
      [['stats', [2 * L.groups]]],
      [
        ['x', xt],
        ['bias', bias],
      ],
      L,
      [L.groups],
    );
    const named: Named = [
      ['x', xt],
      ['stats', stats],
      ['gamma', g],
      ['beta', b],
      ['bias', bias],
      ['residual', residual],
    ];
    const name = `PipeNormApply${act ? 'Act' : residual ? 'Residual' : ''}`;
    const variant = `${affine}/${act}/${plan.residual}`;
    const make = () => apply(affine, act, plan.residual);
    const [y] = dispatch(name, variant, make, [['y', xt.shape]], named, L, plan.grid);
    save([xt, stats!, ...(act ? [y!] : [])]);
    return y as tf.Tensor4D;
  };

const backwardOf =
  (plan: Plan): NormBackward =>
  (dy, saved, params) => {
    const [xs, stats, y] = saved as [tf.Tensor4D, tf.Tensor, tf.Tensor?];
    const { g, bias } = unpack(plan, params);
    const { L, affine, act } = plan;
    const suffix = act ? 'Act' : '';
    const common: Named = [
      ['dy', dy],
      ['x', xs],
      ['stats', stats],
    ];
    const sums: [string, number[]][] = [
      ['sdy', [L.groups]],
      ['sdyx', [L.groups]],
    ];
    const named: Named = [...common, ['y', y], ['bias', bias]];
    const sumsName = `PipeNorm${suffix}GradSums`;
    const [sdy, sdyx] = dispatch(sumsName, `${act}`, () => gradSumsKernel(act), sums, named, L, [L.groups]);
    const all: Named = [...common, ['sdy', sdy], ['sdyx', sdyx], ['y', y], ['gamma', g], ['bias', bias]];
    const make = () => inputGrad(affine, act);
    const [dx] = dispatch(
      `PipeNorm${suffix}InputGrad`,
      `${affine}/${act}`,
      make,
      [['dx', xs.shape]],
      all,
      L,
      plan.grid,
    );
    const c = plan.channels;
    const grads = affine ? [dx!, perChannel(sdyx!, L.groups, c), perChannel(sdy!, L.groups, c)] : [dx!];
    if (!affine) tf.dispose([sdy!, sdyx!]);
    // The residual's gradient is dy itself (a clone shares its storage: the tape may dispose either one).
    return [...grads, ...(bias ? [channelSumWebgpu(dx!)] : []), ...(plan.residual ? [tf.clone(dy)] : [])];
  };

/**
 * Normalised x (plus the bias first, times gamma plus beta, then the activation or plus the residual: each when
 * given) with its closed-form gradient, as normalize.ts computes it on other backends.
 */
export function normalizeWebgpu(x: tf.Tensor4D, o: NormWebgpuOptions): tf.Tensor4D {
  if (o.act && o.residual) throw new Error('normalizeWebgpu: an activation and a residual are not fused together');
  const affine = o.gamma !== undefined && o.beta !== undefined;
  const plan: Plan = {
    L: layout(x.shape, o.perImage, o.eps, o.act?.alpha ?? 0),
    affine,
    act: o.act !== undefined,
    bias: o.bias !== undefined,
    residual: o.residual !== undefined,
    grid: strideGrid(x.size, WG),
    channels: x.shape[3],
  };
  const params = [
    ...(affine ? [o.gamma!, o.beta!] : []),
    ...(o.bias ? [o.bias] : []),
    ...(o.residual ? [o.residual] : []),
  ];
  return normCustomGrad(x, params, forwardOf(plan), backwardOf(plan));
}

/** Per channel: sum over images (instance norm with batch > 1); a reshape only otherwise. */
function perChannel(t: tf.Tensor, groups: number, c: number): tf.Tensor {
  return groups === c ? tf.reshape(t, [c]) : tf.sum(tf.reshape(t, [groups / c, c]), 0);
}
