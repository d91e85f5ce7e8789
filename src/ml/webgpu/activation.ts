// The gradient of ReLU / LeakyReLU on webgpu in one dispatch: dx = dy where x > 0, else alpha * dy (alpha 0 for
// ReLU). Stock tfjs builds it from Step + Multiply (ReLU) or Greater + Multiply + Select (LeakyReLU).
import type * as tf from '@tensorflow/tfjs-core';
import { runKernel, strideGrid } from './kernel.js';

const WGSL = `
struct U { n: u32, alpha: f32 }
@group(0) @binding(0) var<storage, read_write> dx: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = gid.x; i < u.n; i += nw.x * 64u) {
    dx[i] = select(u.alpha * dy[i], dy[i], x[i] > 0.0);
  }
}`;

export function leakyReluGradWebgpu(dy: tf.Tensor, x: tf.Tensor, alpha: number): tf.Tensor {
  const [dx] = runKernel({
    name: 'PipeLeakyReluGrad',
    wgsl: WGSL,
    inputs: [dy, x],
    outputShapes: [x.shape],
    uniforms: [
      { type: 'uint32', value: x.size },
      { type: 'float32', value: alpha },
    ],
    workgroups: strideGrid(x.size, 64),
  });
  return dx!;
}
