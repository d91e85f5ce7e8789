// mean |a - b| on webgpu: forward in one dispatch (one workgroup: a strided sum, then a tree reduction; the images
// of a step are at most a few hundred thousand values), backward in one dispatch writing both gradients
// (sign(a - b) * dy / n and its negative). Stock tfjs: Sub, Abs, Sum, Div forward and about as many backward.
import * as tf from '@tensorflow/tfjs-core';
import { runKernel, strideGrid } from './kernel.js';

const WG = 256;

const FORWARD = `
struct U { n: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < u.n; i += ${WG}u) { acc += abs(a[i] - b[i]); }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[0] = part[0] / f32(u.n); }
}`;

const BACKWARD = `
struct U { n: u32 }
@group(0) @binding(0) var<storage, read_write> da: array<f32>;
@group(0) @binding(1) var<storage, read_write> db: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> a: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;
@group(0) @binding(5) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let scale = dy[0] / f32(u.n);
  for (var i = gid.x; i < u.n; i += nw.x * 64u) {
    let g = sign(a[i] - b[i]) * scale;
    da[i] = g;
    db[i] = -g;
  }
}`;

/** mean |a - b| with its gradient for both inputs (same shapes). */
export function l1LossWebgpu(a: tf.Tensor, b: tf.Tensor): tf.Scalar {
  const n = a.size;
  const uniforms = [{ type: 'uint32' as const, value: n }];
  const op = tf.customGrad((aIn, bIn, save) => {
    (save as tf.GradSaveFunc)([aIn as tf.Tensor, bIn as tf.Tensor]);
    const [loss] = runKernel({
      name: 'PipeL1',
      wgsl: FORWARD,
      inputs: [aIn as tf.Tensor, bIn as tf.Tensor],
      outputShapes: [[]],
      uniforms,
      workgroups: [1],
    });
    return {
      value: loss as tf.Scalar,
      gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
        const [da, db] = runKernel({
          name: 'PipeL1Grad',
          wgsl: BACKWARD,
          inputs: [dy, saved[0]!, saved[1]!],
          outputShapes: [a.shape, b.shape],
          uniforms,
          workgroups: strideGrid(n, 64),
        });
        return [da!, db!];
      },
    };
  });
  return op(a, b) as tf.Scalar;
}
