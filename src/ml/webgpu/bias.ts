// The bias gradient of a conv layer (sum of dy over N, H, W per channel) on webgpu in one dispatch: one workgroup
// per channel, a strided sum and a workgroup sum (webgpu/subgroups.ts). Stock tfjs transposes dy first (2 dispatches).
import type * as tf from '@tensorflow/tfjs-core';
import { runKernel, shader } from './kernel.js';
import { subgroupsInUse, workgroupSumNow, type WorkgroupSum } from './subgroups.js';

const WG = 64;

const wgsl = (sum: WorkgroupSum) => `${sum.enable}
struct U { C: u32, rows: u32 }
@group(0) @binding(0) var<storage, read_write> db: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${sum.decl}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32${sum.params}) {
  var acc = 0.0;
  for (var r = lid; r < u.rows; r += ${WG}u) { acc += dy[r * u.C + wid.x]; }
  let total = ${sum.call('acc')};
  if (lid == 0u) { db[wid.x] = total; }
}`;

/** sum of dy [..., C] over every axis but the last: [C]. */
export function channelSumWebgpu(dy: tf.Tensor): tf.Tensor {
  const c = dy.shape[dy.rank - 1]!;
  const [db] = runKernel({
    name: 'PipeChannelSum',
    wgsl: shader(`channel-sum/${subgroupsInUse()}`, () => wgsl(workgroupSumNow('f32', WG))),
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
