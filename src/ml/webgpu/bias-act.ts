// A conv's bias add and the activation after it in one webgpu dispatch (stock tfjs: an Add and a LeakyRelu / Tanh),
// and the activation's gradient from the output in one (stock tanh: Square, Sub, Multiply), before the bias gradient's
// channel sum (bias.ts). For the first layer of the discriminators (bias + LeakyReLU) and the generators' output
// layer (bias + tanh).
import type * as tf from '@tensorflow/tfjs-core';
import { runKernel, shader, strideGrid } from './kernel.js';

export type BiasActKind = { kind: 'leaky'; alpha: number } | { kind: 'tanh' };

const WG = 64;
const LOOP = `@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  for (var i = gid.x; i < u.n; i += nw.x * ${WG}u) {`;

/** tanh as tfjs's webgpu kernel computes it: stable for large |z|, where some drivers' tanh gives NaN. */
const ACT = {
  leaky: 'select(u.alpha * z, z, z > 0.0)',
  tanh: 'sign(z) * (1.0 - exp(-2.0 * abs(z))) / (1.0 + exp(-2.0 * abs(z)))',
};

const forward = (kind: BiasActKind['kind']) => `
struct U { n: u32, C: u32, alpha: f32 }
@group(0) @binding(0) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
${LOOP}
    let z = x[i] + bias[i % u.C];
    y[i] = ${ACT[kind]};
  }
}`;

/** d tanh from its output y: (1 - y^2) * dy, in tfjs's order. */
const TANH_GRAD = `
struct U { n: u32 }
@group(0) @binding(0) var<storage, read_write> dx: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
${LOOP}
    dx[i] = (1.0 - y[i] * y[i]) * dy[i];
  }
}`;

/** act(x + bias) over the last axis. */
export function biasActWebgpu(x: tf.Tensor, bias: tf.Tensor, act: BiasActKind): tf.Tensor {
  const c = x.shape[x.rank - 1]!;
  const [y] = runKernel({
    name: act.kind === 'tanh' ? 'PipeBiasTanh' : 'PipeBiasLeakyRelu',
    wgsl: shader(`bias-act/${act.kind}`, () => forward(act.kind)),
    inputs: [x, bias],
    outputShapes: [x.shape],
    uniforms: [
      { type: 'uint32', value: x.size },
      { type: 'uint32', value: c },
      { type: 'float32', value: act.kind === 'leaky' ? act.alpha : 0 },
    ],
    workgroups: strideGrid(x.size, WG),
  });
  return y!;
}

/** The gradient of tanh from its output y. */
export function tanhGradWebgpu(dy: tf.Tensor, y: tf.Tensor): tf.Tensor {
  const [dx] = runKernel({
    name: 'PipeTanhGrad',
    wgsl: TANH_GRAD,
    inputs: [dy, y],
    outputShapes: [y.shape],
    uniforms: [{ type: 'uint32', value: y.size }],
    workgroups: strideGrid(y.size, WG),
  });
  return dx!;
}
