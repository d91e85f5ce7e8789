// The bias gradient of a conv layer (sum of dy over N, H, W per channel) on webgpu in one dispatch: one workgroup
// per channel, a strided sum and a tree reduction in workgroup memory. Stock tfjs transposes dy first (2 dispatches).
import type * as tf from '@tensorflow/tfjs-core';
import { runKernel } from './kernel.js';

const WG = 64;

const WGSL = `
struct U { C: u32, rows: u32 }
@group(0) @binding(0) var<storage, read_write> db: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var r = lid; r < u.rows; r += ${WG}u) { acc += dy[r * u.C + wid.x]; }
  part[lid] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { part[lid] += part[lid + s]; }
    workgroupBarrier();
  }
  if (lid == 0u) { db[wid.x] = part[0]; }
}`;

/** sum of dy [..., C] over every axis but the last: [C]. */
export function channelSumWebgpu(dy: tf.Tensor): tf.Tensor {
  const c = dy.shape[dy.rank - 1]!;
  const [db] = runKernel({
    name: 'PipeChannelSum',
    wgsl: WGSL,
    inputs: [dy],
    outputShapes: [[c]],
    uniforms: [
      { type: 'uint32', value: c },
      { type: 'uint32', value: dy.size / c },
    ],
    workgroups: [c],
  });
  return db!;
}
