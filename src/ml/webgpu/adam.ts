// torch.optim.Adam's update on webgpu, in two forms with the same arithmetic (one WGSL body): PipeAdam updates one
// parameter and its two moments in ONE dispatch into fresh tensors (with tensor ops it is ~12 dispatches and as many
// passes over memory); PipeAdamFlat updates a whole flat segment of many parameters in place, for the fused
// optimiser step (webgpu/flat-adam.ts). Bias-corrected, eps outside the square root, as ops/adam_update.ts:
// p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps).
import type * as tf from '@tensorflow/tfjs-core';
import { recordDispatch, runKernel, strideGrid, webgpuBackend, type Uniform } from './kernel.js';

const WG = 64;

/** The shared loop: reads p, m, v, g at i and writes pOut, mOut, vOut at i (the same arrays when in place). */
const body = (p: string, m: string, v: string) => `
struct U { stepSize: f32, b1: f32, a1: f32, b2: f32, a2: f32, rootC2: f32, eps: f32, n: u32 }
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let stride = nw.x * ${WG}u;
  for (var i = gid.x; i < u.n; i += stride) {
    let gi = g[i];
    let mi = u.b1 * ${m}[i] + u.a1 * gi;
    let vi = u.b2 * ${v}[i] + u.a2 * gi * gi;
    let p0 = ${p}[i];
    mOut[i] = mi;
    vOut[i] = vi;
    pOut[i] = p0 - u.stepSize * mi / (sqrt(vi) / u.rootC2 + u.eps);
  }
}`;

const PER_PARAMETER = `
@group(0) @binding(0) var<storage, read_write> pOut: array<f32>;
@group(0) @binding(1) var<storage, read_write> mOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> vOut: array<f32>;
@group(0) @binding(3) var<storage, read> p: array<f32>;
@group(0) @binding(4) var<storage, read> m: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> g: array<f32>;
@group(0) @binding(7) var<uniform> u: U;
${body('p', 'm', 'v')}`;

const IN_PLACE = `
@group(0) @binding(0) var<storage, read_write> pOut: array<f32>;
@group(0) @binding(1) var<storage, read_write> mOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> vOut: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
${body('pOut', 'mOut', 'vOut')}`;

export interface AdamArgs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  step: number;
}

function uniforms(h: AdamArgs, n: number): Uniform[] {
  return [
    { type: 'float32', value: h.lr / (1 - h.beta1 ** h.step) },
    { type: 'float32', value: h.beta1 },
    { type: 'float32', value: 1 - h.beta1 },
    { type: 'float32', value: h.beta2 },
    { type: 'float32', value: 1 - h.beta2 },
    { type: 'float32', value: Math.sqrt(1 - h.beta2 ** h.step) },
    { type: 'float32', value: h.eps },
    { type: 'uint32', value: n },
  ];
}

/** New [p, m, v] after one Adam step; the caller assigns them to its variables. */
export function adamStepWebgpu(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, h: AdamArgs): tf.Tensor[] {
  return runKernel({
    name: 'PipeAdam',
    wgsl: PER_PARAMETER,
    inputs: [p, m, v, g],
    outputShapes: [p.shape, p.shape, p.shape],
    uniforms: uniforms(h, p.size),
    perStepUniforms: true,
    workgroups: strideGrid(p.size, WG),
  });
}

/**
 * One Adam step over flat p, m, v in place, from the flat gradient g (all four of one size, on the GPU). Only for
 * storage no other tensor can see: the fused optimiser's own flat buffers.
 */
export function adamStepFlatWebgpu(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, h: AdamArgs): void {
  const n = p.size;
  if ([m, v, g].some((t) => t.size !== n)) throw new Error(`PipeAdamFlat: sizes ${[p, m, v, g].map((t) => t.size)}`);
  const b = webgpuBackend();
  for (const t of [p, m, v, g]) b.uploadToGPU(t.dataId);
  recordDispatch(b, {
    name: 'PipeAdamFlat',
    wgsl: IN_PLACE,
    dataIds: [p, m, v, g].map((t) => t.dataId),
    uniforms: uniforms(h, n),
    perStepUniforms: true,
    workgroups: strideGrid(n, WG),
  });
}
