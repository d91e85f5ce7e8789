// Dropout's mask and scale in one dispatch: y = x * (floor(u + keep) / keep), the same f32 operations in the same
// order as tf.dropout's add, floor, div and mul (four stock dispatches), so the same bits. Its gradient is the same
// product with dy in place of x: one dispatch where the stock tape records another multiply.
import type * as tf from '@tensorflow/tfjs-core';
import { runKernel, shader, strideGrid } from './kernel.js';

const WGSL = `
struct U { n: u32, keep: f32 }
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> noise: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = gid.x; i < u.n; i += nw.x * 64u) {
    let multiplier = floor(noise[i] + u.keep) / u.keep;
    y[i] = x[i] * multiplier;
  }
}`;

/** x scaled by dropout's multiplier drawn from `noise` (uniform in [0, 1), x's shape) with keep probability `keep`. */
export function dropoutWebgpu(x: tf.Tensor, noise: tf.Tensor, keep: number): tf.Tensor {
  const [y] = runKernel({
    name: 'PipeDropout',
    wgsl: shader('dropout', () => WGSL),
    inputs: [x, noise],
    outputShapes: [x.shape],
    uniforms: [
      { type: 'uint32', value: x.size },
      { type: 'float32', value: keep },
    ],
    workgroups: strideGrid(x.size, 64),
  });
  return y!;
}
