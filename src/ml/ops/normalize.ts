// Batch and instance normalisation in training mode (statistics of the tensor itself, biased variance, as PyTorch's
// BatchNorm2d in train mode and InstanceNorm2d) with the closed-form gradient. Through the stock ops the gradient
// flows back through tf.moments and the FusedBatchNorm gradient: ~25 kernels per layer including broadcasts (Tile);
// the closed form below needs ~8 passes over the activation.
import * as tf from '@tensorflow/tfjs-core';
import { isWebgpu } from '../webgpu/kernel.js';
import { normalizeWebgpu } from '../webgpu/norm.js';
import { leakyRelu } from './activation.js';
import { biasAdd } from './bias_add.js';
import { normCustomGrad, type NormBackward, type NormForward } from './norm-custom-grad.js';

type Axes = [0, 1, 2] | [1, 2];

function checkShapes(x: tf.Tensor4D, gamma: tf.Tensor1D | undefined, beta: tf.Tensor1D | undefined): void {
  if (x.rank !== 4) throw new Error(`normalisation: input must be rank 4 (NHWC), got shape [${x.shape.join(', ')}]`);
  const channels = x.shape[3];
  for (const [name, t] of [
    ['gamma', gamma],
    ['beta', beta],
  ] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== channels)) {
      throw new Error(`normalisation: ${name} must have shape [${channels}], got [${t.shape.join(', ')}]`);
    }
  }
}

function normalize(
  x: tf.Tensor4D,
  axes: Axes,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  eps: number,
): tf.Tensor4D {
  checkShapes(x, gamma, beta);
  const channels = x.shape[3];
  // webgpu: pipe's kernels, 2 dispatches each way (src/ml/webgpu/norm.ts).
  if (isWebgpu() && x.dtype === 'float32') return normalizeWebgpu(x, { perImage: axes.length === 2, gamma, beta, eps });
  const count = (axes as number[]).reduce((n: number, a: number) => n * x.shape[a], 1);
  const affine = gamma !== undefined && beta !== undefined;
  const forward: NormForward = (xt, [g, b], save) => {
    const { mean, variance } = tf.moments(xt, axes, true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xhat = tf.mul(tf.sub(xt, mean), rstd) as tf.Tensor4D;
    save([xhat, rstd]);
    return affine ? (tf.add(tf.mul(xhat, g!), b!) as tf.Tensor4D) : xhat;
  };
  const backward: NormBackward = (dy, saved, [g]) => {
    const [xhat, rstd] = saved as [tf.Tensor4D, tf.Tensor4D];
    const dScaled = affine ? tf.mul(dy, g!) : dy;
    // dx = rstd * (d - mean(d) - xhat * mean(d * xhat)), d = dy * gamma, means over the normalised axes.
    const dyXhat = tf.sum(tf.mul(dy, xhat), axes, true);
    const dySum = tf.sum(dy, axes, true);
    const scale = affine ? tf.reshape(g!, [1, 1, 1, channels]) : tf.scalar(1);
    const meanD = tf.div(tf.mul(dySum, scale), count);
    const meanDXhat = tf.div(tf.mul(dyXhat, scale), count);
    const dx = tf.mul(tf.sub(tf.sub(dScaled, meanD), tf.mul(xhat, meanDXhat)), rstd) as tf.Tensor4D;
    if (!affine) return [dx];
    return [dx, tf.reshape(tf.sum(dyXhat, [0, 1, 2]), [channels]), tf.reshape(tf.sum(dySum, [0, 1, 2]), [channels])];
  };
  return normCustomGrad(x, affine ? [gamma!, beta!] : [], forward, backward);
}

/**
 * BatchNorm2d in training mode on NHWC: statistics over N, H, W (biased variance), then gamma * xhat + beta.
 * Running statistics are the caller's business (pix2pix keeps train mode at test time, so it has none).
 */
export function batchNorm(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor4D {
  return normalize(x, [0, 1, 2], gamma, beta, eps);
}

/** InstanceNorm2d: statistics per image and channel over H, W; affine when gamma and beta are given. */
export function instanceNorm(x: tf.Tensor4D, eps = 1e-5, gamma?: tf.Tensor1D, beta?: tf.Tensor1D): tf.Tensor4D {
  return normalize(x, [1, 2], gamma, beta, eps);
}

export interface NormActOptions {
  kind: 'batch' | 'instance';
  /** 0: ReLU; otherwise LeakyReLU with this slope below 0; absent: no activation. */
  alpha?: number;
  /** Required for batch norm; optional (both or neither) for instance norm. */
  gamma?: tf.Tensor1D;
  beta?: tf.Tensor1D;
  /** A per-channel bias added to x first (the preceding conv's). */
  bias?: tf.Tensor1D;
  /** A tensor of x's shape added to the result (a ResNet block's input: residual + norm); not with alpha. */
  residual?: tf.Tensor4D;
  eps?: number;
}

/**
 * [bias add,] batch or instance norm [, ReLU / LeakyReLU]. On webgpu one fused op: the bias read with x, the
 * activation inside the norm's elementwise pass and its gradient inside the norm's backward passes (2 dispatches each
 * way, plus the bias gradient's channel sum). Elsewhere exactly biasAdd, batchNorm / instanceNorm and leakyRelu, the
 * same ops as calling them one after the other.
 */
export function normalizeAct(x: tf.Tensor4D, o: NormActOptions): tf.Tensor4D {
  const eps = o.eps ?? 1e-5;
  if (o.kind === 'batch' && (!o.gamma || !o.beta)) throw new Error('normalizeAct: batch norm needs gamma and beta');
  const c = x.shape[3];
  if (o.bias && (o.bias.rank !== 1 || o.bias.shape[0] !== c))
    throw new Error(`normalizeAct: bias must have shape [${c}], got [${o.bias.shape.join(', ')}]`);
  if (o.residual && (o.alpha !== undefined || !tf.util.arraysEqual(o.residual.shape, x.shape)))
    throw new Error(`normalizeAct: a residual must have x's shape [${x.shape.join(', ')}] and comes without alpha`);
  if (isWebgpu() && x.dtype === 'float32') {
    checkShapes(x, o.gamma, o.beta);
    const act = o.alpha === undefined ? undefined : { alpha: o.alpha };
    const { gamma, beta } = o;
    // Affine with an activation and a bias, the input gradient would bind 9 storage buffers (WebGPU's default
    // per-stage limit is 8): the bias is then added first, by biasAdd. The models never ask for it (a conv before
    // batch norm has no bias).
    const fuseBias = !(gamma && beta && act);
    const xb = o.bias && !fuseBias ? biasAdd(x, o.bias) : x;
    const bias = fuseBias ? o.bias : undefined;
    return normalizeWebgpu(xb, { perImage: o.kind === 'instance', gamma, beta, bias, eps, act, residual: o.residual });
  }
  const xb = o.bias ? biasAdd(x, o.bias) : x;
  const y = o.kind === 'batch' ? batchNorm(xb, o.gamma!, o.beta!, eps) : instanceNorm(xb, eps, o.gamma, o.beta);
  if (o.residual) return tf.add(o.residual, y) as tf.Tensor4D;
  return o.alpha === undefined ? y : leakyRelu(y, o.alpha);
}
