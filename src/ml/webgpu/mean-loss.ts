// Mean-reduced losses on webgpu, one dispatch forward (two above 65,536 elements) and one backward:
//   l1:  mean |a - t| (the pix2pix L1 term, against a tensor);
//   mse: mean (a - t)^2 (LSGAN against an all-0/all-1 target, the perceptual and style terms against a tensor);
//   bce: mean BCE-with-logits of a against a constant target (the vanilla GAN loss), in the stable form
//        max(a, 0) - a*t + log(1 + exp(-|a|)), whose gradient is sigmoid(a) - t.
// Forward: one workgroup, a strided sum and a workgroup sum (webgpu/subgroups.ts), for a discriminator's patches or a
// small image; above 65,536 elements (an image at 256², a layer's features) up to 1,024 workgroups and one more
// dispatch adding their sums.
// Backward: one elementwise pass writing the gradient of a (and of a tensor target, its negative).
// Stock tfjs: 3 (l1, mse) to 10 (bce) kernels forward, more backward, plus a Fill for a constant target.
import * as tf from '@tensorflow/tfjs-core';
import { runKernel, shader, strideGrid, type Uniform } from './kernel.js';
import { subgroupsInUse, workgroupSumNow } from './subgroups.js';

const WG = 256;

export type MeanLossKind = 'l1' | 'mse' | 'bce';

/** The per-element term and its derivative in a, with {t} the target at element i. */
const TERMS: Record<MeanLossKind, { value: string; grad: string }> = {
  l1: { value: 'acc += abs(a[i] - {t});', grad: 'sign(a[i] - {t})' },
  mse: { value: 'let d = a[i] - {t}; acc += d * d;', grad: '2.0 * (a[i] - {t})' },
  bce: {
    value: 'let x = a[i]; acc += max(x, 0.0) - x * {t} + log(1.0 + exp(-abs(x)));',
    grad: '1.0 / (1.0 + exp(-a[i])) - {t}',
  },
};

const NAMES: Record<MeanLossKind, string> = { l1: 'PipeL1', mse: 'PipeMse', bce: 'PipeBce' };

const target = (tensor: boolean) => (tensor ? 'b[i]' : 'u.t');

/**
 * Partial sums of the term over a grid-stride range per workgroup. One workgroup writes the mean itself; several
 * write their sums to out[workgroup], for LOSS_SUM to add.
 */
function forwardWgsl(kind: MeanLossKind, tensor: boolean): string {
  const sum = workgroupSumNow('f32', WG);
  return `${sum.enable}
struct U { n: u32, t: f32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;${tensor ? '\n@group(0) @binding(2) var<storage, read> b: array<f32>;' : ''}
@group(0) @binding(${tensor ? 3 : 2}) var<uniform> u: U;
${sum.decl}
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nw: vec3<u32>${sum.params}) {
  var acc = 0.0;
  for (var i = wid.x * ${WG}u + lid; i < u.n; i += nw.x * ${WG}u) { ${TERMS[kind].value.replaceAll('{t}', target(tensor))} }
  let total = ${sum.call('acc')};
  if (lid == 0u) { out[wid.x] = select(total, total / f32(u.n), nw.x == 1u); }
}`;
}

/** out[0] = (sum of the workgroups' partial sums) / n. */
function lossSumWgsl(): string {
  const sum = workgroupSumNow('f32', WG);
  return `${sum.enable}
struct U { n: u32, parts: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> parts: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${sum.decl}
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32${sum.params}) {
  var acc = 0.0;
  for (var i = lid; i < u.parts; i += ${WG}u) { acc += parts[i]; }
  let total = ${sum.call('acc')};
  if (lid == 0u) { out[0] = total / f32(u.n); }
}`;
}

/**
 * Up to this many elements one workgroup sums them all (one dispatch). Beyond, a GPU would run the whole sum on one
 * multiprocessor (a VGG feature map at 256² holds millions of elements), so up to 1,024 workgroups take at least
 * 4,096 elements each, and one more dispatch adds their sums.
 */
const ONE_WORKGROUP_MAX = 1 << 16;

function forward(kind: MeanLossKind, tensor: boolean, inputs: tf.Tensor[], uniforms: Uniform[]): tf.Tensor {
  const n = inputs[0]!.size;
  const groups = n <= ONE_WORKGROUP_MAX ? 1 : Math.min(1024, Math.ceil(n / (WG * 16)));
  const wgsl = shader(`loss/${kind}/${tensor}/${subgroupsInUse()}`, () => forwardWgsl(kind, tensor));
  const outputShapes = [groups === 1 ? [] : [groups]];
  const [parts] = runKernel({ name: NAMES[kind], wgsl, inputs, outputShapes, uniforms, workgroups: [groups] });
  if (groups === 1) return parts!;
  const [loss] = runKernel({
    name: 'PipeLossSum',
    wgsl: shader(`loss-sum/${subgroupsInUse()}`, lossSumWgsl),
    inputs: [parts!],
    outputShapes: [[]],
    uniforms: [
      { type: 'uint32', value: n },
      { type: 'uint32', value: groups },
    ],
    workgroups: [1],
  });
  parts!.dispose();
  return loss!;
}

function backwardWgsl(kind: MeanLossKind, tensor: boolean): string {
  const t = tensor ? 1 : 0;
  return `
struct U { n: u32, t: f32 }
@group(0) @binding(0) var<storage, read_write> da: array<f32>;${tensor ? '\n@group(0) @binding(1) var<storage, read_write> db: array<f32>;' : ''}
@group(0) @binding(${1 + t}) var<storage, read> dy: array<f32>;
@group(0) @binding(${2 + t}) var<storage, read> a: array<f32>;${tensor ? '\n@group(0) @binding(4) var<storage, read> b: array<f32>;' : ''}
@group(0) @binding(${3 + 2 * t}) var<uniform> u: U;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let scale = dy[0] / f32(u.n);
  for (var i = gid.x; i < u.n; i += nw.x * 64u) {
    let g = (${TERMS[kind].grad.replaceAll('{t}', target(tensor))}) * scale;
    da[i] = g;${tensor ? '\n    db[i] = -g;' : ''}
  }
}`;
}

/**
 * mean over every element of the `kind` term of a against t, with its gradient: t is a tensor of a's shape (l1 and
 * mse; it gets a gradient too) or a constant (no gradient).
 */
export function meanLossWebgpu(kind: MeanLossKind, a: tf.Tensor, t: tf.Tensor | number): tf.Scalar {
  const tensor = typeof t !== 'number';
  if (tensor && kind === 'bce') throw new Error('meanLossWebgpu: bce takes a constant target');
  const n = a.size;
  const uniforms: Uniform[] = [
    { type: 'uint32', value: n },
    { type: 'float32', value: tensor ? 0 : t },
  ];
  const op = tf.customGrad((...args: unknown[]) => {
    const inputs = args.slice(0, tensor ? 2 : 1) as tf.Tensor[];
    (args[inputs.length] as tf.GradSaveFunc)(inputs);
    const loss = forward(kind, tensor, inputs, uniforms);
    const gradFunc = (dy: tf.Scalar, saved: tf.Tensor[]) =>
      runKernel({
        name: `${NAMES[kind]}Grad`,
        wgsl: shader(`loss-grad/${kind}/${tensor}`, () => backwardWgsl(kind, tensor)),
        inputs: [dy, ...saved],
        outputShapes: saved.map((s) => s.shape),
        uniforms,
        workgroups: strideGrid(n, 64),
      });
    return { value: loss as tf.Scalar, gradFunc };
  });
  return (tensor ? op(a, t) : op(a)) as tf.Scalar;
}
