// relu(concat([a, b], channels)) on webgpu in one dispatch, and its gradient split back into a's and b's parts in one
// (stock tfjs: Concat and Relu forward, the ReLU gradient and two Slices backward). The U-Net's skip joins: each level
// concatenates its input with its up path's output, and the level above starts with a ReLU.
import type * as tf from '@tensorflow/tfjs-core';
import { runKernel, strideGrid } from './kernel.js';

const WG = 64;
const HEAD = `
struct U { n: u32, C: u32, Ca: u32 }`;
const LOOP = `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let cb = u.C - u.Ca;
  for (var i = gid.x; i < u.n; i += nw.x * ${WG}u) {
    let p = i / u.C;
    let c = i % u.C;`;

/** y = relu of a's channels then b's; NaN stays NaN, as in tfjs's relu. */
const FORWARD = `${HEAD}
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
${LOOP}
    var v: f32;
    if (c < u.Ca) { v = a[p * u.Ca + c]; } else { v = b[p * cb + c - u.Ca]; }
    y[i] = select(v, 0.0, v < 0.0);
  }
}`;

/** dy where y > 0 (so where the concatenation is > 0), else 0, written to a's or b's gradient. */
const BACKWARD = `${HEAD}
@group(0) @binding(0) var<storage, read_write> da: array<f32>;
@group(0) @binding(1) var<storage, read_write> db: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<f32>;
@group(0) @binding(4) var<uniform> u: U;
${LOOP}
    let g = select(0.0, dy[i], y[i] > 0.0);
    if (c < u.Ca) { da[p * u.Ca + c] = g; } else { db[p * cb + c - u.Ca] = g; }
  }
}`;

const uniforms = (y: number[], ca: number, size: number) => [
  { type: 'uint32' as const, value: size },
  { type: 'uint32' as const, value: y[y.length - 1]! },
  { type: 'uint32' as const, value: ca },
];

/** relu(concat([a, b], last axis)); a and b agree on every other axis. */
export function concatReluWebgpu(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const shape = [...a.shape.slice(0, -1), a.shape[a.rank - 1]! + b.shape[b.rank - 1]!];
  const size = a.size + b.size;
  const [y] = runKernel({
    name: 'PipeConcatRelu',
    wgsl: FORWARD,
    inputs: [a, b],
    outputShapes: [shape],
    uniforms: uniforms(shape, a.shape[a.rank - 1]!, size),
    workgroups: strideGrid(size, WG),
  });
  return y!;
}

/** The gradients of a and b from dy and the forward output y. */
export function concatReluGradWebgpu(dy: tf.Tensor, y: tf.Tensor, aShape: number[], bShape: number[]): tf.Tensor[] {
  return runKernel({
    name: 'PipeConcatReluGrad',
    wgsl: BACKWARD,
    inputs: [dy, y],
    outputShapes: [aShape, bShape],
    uniforms: uniforms(y.shape, aShape[aShape.length - 1]!, y.size),
    workgroups: strideGrid(y.size, WG),
  });
}
