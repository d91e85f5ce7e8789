// Tiny layer algebra: each layer declares its parameter specs and a pure apply(params, x). Convolutions
// go through src/ml/ops (never tf.conv2d directly) so the engine's custom-gradient kernels are used.
import * as tf from '@tensorflow/tfjs-core';
import {
  batchNorm,
  biasAct,
  biasAdd,
  conv2d,
  conv2dTranspose,
  dropout as opsDropout,
  instanceNorm,
  leakyRelu as opsLeakyRelu,
  normalizeAct,
  reflectionPad,
  type BiasActKind,
  type NormActOptions,
} from '../ops/index.js';
import type { ParamMap, ParamSpec } from './params.js';

export type NormKind = 'batch' | 'instance' | 'none';

export interface RunCtx {
  /** Seed source for dropout masks; absent means dropout is off (eval mode). */
  dropoutSeed?: () => number;
  /**
   * Batch norm statistics: 'batch' (default; the reference's test.py without --eval) or 'running' (test.py
   * --eval: the `<name>.running_mean` / `.running_var` entries of the parameter map, e.g. from an imported file).
   */
  normStats?: 'batch' | 'running';
}

export interface Layer {
  specs: ParamSpec[];
  apply(p: ParamMap, x: tf.Tensor4D, ctx: RunCtx): tf.Tensor4D;
}

const EPS = 1e-5; // PyTorch BatchNorm2d / InstanceNorm2d default

export function seq(...layers: Layer[]): Layer {
  return {
    specs: layers.flatMap((l) => l.specs),
    apply: (p, x, ctx) => layers.reduce((h, l) => l.apply(p, h, ctx), x),
  };
}

const fn = (f: (x: tf.Tensor4D) => tf.Tensor4D): Layer => ({ specs: [], apply: (_p, x) => f(x) });
// Through src/ml/ops: on webgpu their gradient is one dispatch.
export const relu = (): Layer => fn((x) => opsLeakyRelu(x, 0));
export const leakyRelu = (alpha = 0.2): Layer => fn((x) => opsLeakyRelu(x, alpha));
export const tanh = (): Layer => fn((x) => tf.tanh(x));
// Through src/ml/ops: tf.mirrorPad's stock gradient is wrong.
export const reflectPad = (n: number): Layer => fn((x) => reflectionPad(x, n));

export function dropout(rate = 0.5): Layer {
  return {
    specs: [],
    apply: (_p, x, ctx) => (ctx.dropoutSeed ? opsDropout(x, rate, ctx.dropoutSeed()) : x),
  };
}

export interface ConvOpts {
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
  bias: boolean;
}

/** A conv layer that also hands out its output before the bias, so that a following norm can add the bias itself. */
export interface ConvLayer extends Layer {
  /** The conv without its bias. */
  linear(p: ParamMap, x: tf.Tensor4D): tf.Tensor4D;
  /** The bias's parameter name, when the conv has one. */
  bias?: string;
}

function withBias(name: string, o: ConvOpts, specs: ParamSpec[], linear: ConvLayer['linear']): ConvLayer {
  const bias = o.bias ? `${name}.bias` : undefined;
  if (bias) specs.push({ name: bias, shape: [o.cout], init: 'zeros' });
  return {
    specs,
    linear,
    bias,
    apply: (p, x) => (bias ? biasAdd(linear(p, x), p[bias]) : linear(p, x)),
  };
}

/** Conv2d with PyTorch's symmetric integer padding; weight HWIO. */
export function conv(name: string, o: ConvOpts): ConvLayer {
  const specs: ParamSpec[] = [{ name: `${name}.weight`, shape: [o.k, o.k, o.cin, o.cout], init: 'normal' }];
  return withBias(name, o, specs, (p, x) => conv2d(x, p[`${name}.weight`] as tf.Tensor4D, o.stride, o.pad));
}

/**
 * ConvTranspose2d(padding=pad, output_padding=outPad): out = (in-1)*stride - 2*pad + k + outPad.
 * Weight [k, k, cout, cin] as tf.conv2dTranspose expects. An integer pad means the same as the
 * forward conv from the output size, which is PyTorch's alignment (tf's 'same' would shift by one).
 */
export function convTranspose(name: string, o: ConvOpts & { outPad?: number }): ConvLayer {
  const specs: ParamSpec[] = [{ name: `${name}.weight`, shape: [o.k, o.k, o.cout, o.cin], init: 'normal' }];
  return withBias(name, o, specs, (p, x) => {
    const [n, h, w] = x.shape;
    const size = (d: number) => (d - 1) * o.stride - 2 * o.pad + o.k + (o.outPad ?? 0);
    return conv2dTranspose(x, p[`${name}.weight`] as tf.Tensor4D, [n, size(h), size(w), o.cout], o.stride, o.pad);
  });
}

/**
 * batch: BatchNorm2d(affine) in train mode (batch statistics, biased variance) - the reference's
 * test.py also keeps train mode unless --eval, so there are no running statistics to track.
 * instance: InstanceNorm2d(affine=False). none: identity.
 */
export function norm(kind: NormKind, name: string, channels: number): Layer {
  if (kind === 'none') return { specs: [], apply: (_p, x) => x };
  if (kind === 'instance') {
    // Engine op: same arithmetic, closed-form gradient (src/ml/ops/normalize.ts).
    return fn((x) => instanceNorm(x, EPS));
  }
  return {
    specs: [
      { name: `${name}.weight`, shape: [channels], init: 'gamma' },
      { name: `${name}.bias`, shape: [channels], init: 'zeros' },
    ],
    apply(p, x, ctx) {
      if (ctx.normStats === 'running') return runningBatchNorm(p, name, x);
      // Engine op: same arithmetic, closed-form gradient (src/ml/ops/normalize.ts).
      return batchNorm(x, p[`${name}.weight`] as tf.Tensor1D, p[`${name}.bias`] as tf.Tensor1D, EPS);
    },
  };
}

/**
 * conv then an activation, with the parameters and arithmetic of seq(conv, activation), as one op (biasAct) for a conv
 * with a bias: on webgpu the bias and the activation are one dispatch.
 */
export function convAct(c: ConvLayer, act: BiasActKind): Layer {
  const after = act.kind === 'tanh' ? tanh() : leakyRelu(act.alpha);
  if (!c.bias) return seq(c, after);
  const bias = c.bias;
  return { specs: c.specs, apply: (p, x) => biasAct(c.linear(p, x), p[bias]!, act) };
}

/**
 * conv, norm(kind, normName, channels), then ReLU (alpha 0) or LeakyReLU(alpha) when alpha is given: the parameters
 * and arithmetic of seq(conv, norm, activation), as one norm op (src/ml/ops/normalize.ts normalizeAct) so that on
 * webgpu the conv's bias (instance norm; see useBias) and the activation are fused into the norm's kernels.
 */
export function convNorm(c: ConvLayer, kind: NormKind, normName: string, channels: number, alpha?: number): Layer {
  const act = alpha === undefined ? [] : [fn((x) => opsLeakyRelu(x, alpha))];
  const plain = seq(c, norm(kind, normName, channels), ...act);
  if (kind === 'none') return plain;
  return {
    specs: plain.specs,
    apply(p, x, ctx) {
      if (kind === 'batch' && ctx.normStats === 'running') return plain.apply(p, x, ctx);
      return normalizeAct(c.linear(p, x), { ...normParams(p, c, kind, normName), alpha, eps: EPS });
    },
  };
}

/** normalizeAct's kind, gamma and beta (batch norm) and the conv's bias for a conv followed by a norm. */
function normParams(p: ParamMap, c: ConvLayer, kind: 'batch' | 'instance', normName: string): NormActOptions {
  const [gamma, beta] = kind === 'batch' ? [p[`${normName}.weight`], p[`${normName}.bias`]] : [];
  return { kind, gamma, beta, bias: c.bias ? p[c.bias] : undefined } as NormActOptions;
}

/** A layer with a second input: the residual added to its result. */
export interface ResidualLayer {
  specs: ParamSpec[];
  apply(p: ParamMap, x: tf.Tensor4D, residual: tf.Tensor4D, ctx: RunCtx): tf.Tensor4D;
}

/**
 * residual + norm(conv(x)) (a ResNet block's end), with the arithmetic of tf.add(residual, seq(conv, norm)): on webgpu
 * the add happens in the norm's elementwise pass (normalizeAct's residual).
 */
export function convNormResidual(c: ConvLayer, kind: NormKind, normName: string, channels: number): ResidualLayer {
  const plain = convNorm(c, kind, normName, channels);
  return {
    specs: plain.specs,
    apply(p, x, residual, ctx) {
      if (kind === 'none' || (kind === 'batch' && ctx.normStats === 'running'))
        return tf.add(residual, plain.apply(p, x, ctx)) as tf.Tensor4D;
      return normalizeAct(c.linear(p, x), { ...normParams(p, c, kind, normName), residual, eps: EPS });
    },
  };
}

function runningBatchNorm(p: ParamMap, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const mean = p[`${name}.running_mean`];
  const variance = p[`${name}.running_var`];
  if (!mean || !variance) throw new Error(`batch norm ${name} has no running statistics`);
  return tf.batchNorm(
    x,
    mean as tf.Tensor1D,
    variance as tf.Tensor1D,
    p[`${name}.bias`] as tf.Tensor1D,
    p[`${name}.weight`] as tf.Tensor1D,
    EPS,
  );
}

/** The reference's use_bias rule: convs followed by a norm carry a bias only with InstanceNorm
 *  (BatchNorm has its own shift; with norm 'none' the reference's lambda also yields no bias). */
export const useBias = (kind: NormKind): boolean => kind === 'instance';
