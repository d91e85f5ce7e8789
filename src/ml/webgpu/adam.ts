// torch.optim.Adam's update of one parameter and its two moments in ONE dispatch on webgpu (with tensor ops it is
// ~12 dispatches and as many passes over memory). Same arithmetic as ops/adam_update.ts: bias-corrected, eps outside
// the square root: p -= lr/c1 * m / (sqrt(v)/sqrt(c2) + eps).
import type * as tf from '@tensorflow/tfjs-core';
import { runKernel, strideGrid } from './kernel.js';

const WG = 64;

const WGSL = `
@group(0) @binding(0) var<storage, read_write> pOut: array<f32>;
@group(0) @binding(1) var<storage, read_write> mOut: array<f32>;
@group(0) @binding(2) var<storage, read_write> vOut: array<f32>;
@group(0) @binding(3) var<storage, read> p: array<f32>;
@group(0) @binding(4) var<storage, read> m: array<f32>;
@group(0) @binding(5) var<storage, read> v: array<f32>;
@group(0) @binding(6) var<storage, read> g: array<f32>;
struct U { stepSize: f32, b1: f32, a1: f32, b2: f32, a2: f32, rootC2: f32, eps: f32, n: u32 }
@group(0) @binding(7) var<uniform> u: U;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let stride = nw.x * ${WG}u;
  for (var i = gid.x; i < u.n; i += stride) {
    let gi = g[i];
    let mi = u.b1 * m[i] + u.a1 * gi;
    let vi = u.b2 * v[i] + u.a2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    pOut[i] = p[i] - u.stepSize * mi / (sqrt(vi) / u.rootC2 + u.eps);
  }
}`;

export interface AdamArgs {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  step: number;
}

/** New [p, m, v] after one Adam step; the caller assigns them to its variables. */
export function adamStepWebgpu(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, h: AdamArgs): tf.Tensor[] {
  const n = p.size;
  return runKernel({
    name: 'PipeAdam',
    wgsl: WGSL,
    inputs: [p, m, v, g],
    outputShapes: [p.shape, p.shape, p.shape],
    uniforms: [
      { type: 'float32', value: h.lr / (1 - h.beta1 ** h.step) },
      { type: 'float32', value: h.beta1 },
      { type: 'float32', value: 1 - h.beta1 },
      { type: 'float32', value: h.beta2 },
      { type: 'float32', value: 1 - h.beta2 },
      { type: 'float32', value: Math.sqrt(1 - h.beta2 ** h.step) },
      { type: 'float32', value: h.eps },
      { type: 'uint32', value: n },
    ],
    workgroups: strideGrid(n, WG),
  });
}
