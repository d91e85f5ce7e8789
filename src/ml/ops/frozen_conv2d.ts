// Convolution with a constant filter (pretrained backbones: VGG, SqueezeNet, LPIPS). Only the input gradient exists,
// and the flipped / sub-pixel filter that gradient needs is built once per filter and kept, not once per step.
import * as tf from '@tensorflow/tfjs-core';
import { forwardConv, transposedConv, transposedConvFilter } from './conv_kernels.js';
import { forwardProduct, transposedProduct } from './conv_dispatch.js';
import { convGeometry, type ConvGeometry, type Padding } from './geometry.js';
import { backboneConv } from '../webgpu/backbone-conv.js';
import { convAutotuneOn } from '../webgpu/conv-autotune.js';
import { convFitsWebgpu } from '../webgpu/conv.js';
import { isWebgpu } from '../webgpu/kernel.js';

const prepared = new Map<tf.Tensor, Map<number, tf.Tensor4D>>();

/** Frees prepared filters whose source filter was disposed (weights reloaded, model dropped). */
function sweep(): void {
  for (const [filter, byStride] of prepared) {
    if (filter.isDisposed) {
      for (const t of byStride.values()) t.dispose();
      prepared.delete(filter);
    }
  }
}

function preparedFilter(filter: tf.Tensor4D, stride: number): tf.Tensor4D {
  let byStride = prepared.get(filter);
  if (!byStride) {
    sweep();
    byStride = new Map();
    prepared.set(filter, byStride);
  }
  let kf = byStride.get(stride);
  if (!kf) {
    kf = tf.keep(transposedConvFilter(filter, { stride }));
    byStride.set(stride, kf);
  }
  return kf;
}

/** Number of prepared filters held (for tests and memory accounting). */
export function frozenFilterCount(): number {
  let n = 0;
  for (const m of prepared.values()) n += m.size;
  return n;
}

/** Releases every prepared filter (the source filters are untouched). */
export function disposeFrozenFilters(): void {
  for (const m of prepared.values()) for (const t of m.values()) t.dispose();
  prepared.clear();
}

/**
 * Same arguments and result as conv2d, but the filter is treated as a constant: no filter gradient is computed (it would
 * be thrown away), and the input gradient reuses a prepared filter. The filter must stay alive while it is in use.
 */
export function frozenConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: number,
  pad: Padding,
  dilation = 1,
): tf.Tensor4D {
  const g = convGeometry(x.shape, filter.shape, strides, pad, dilation, 'frozenConv2d');
  if (dispatched(x, g)) return frozenDispatched(x, filter, g);
  const kf = preparedFilter(filter, g.stride);
  const op = tf.customGrad((xIn) => {
    const xt = xIn as tf.Tensor4D;
    return {
      value: forwardConv(xt, filter, g),
      gradFunc: (dy: tf.Tensor4D) => transposedConv(dy, filter, g, kf),
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * On webgpu with PIPE_WEBGPU_BACKBONE_CONV=pipe, or with PIPE_WEBGPU_CONV_AUTOTUNE=1: the products as conv_dispatch
 * chooses them (pipe's kernels, or tfjs's where autotuning found them faster), with no prepared filter.
 */
const dispatched = (x: tf.Tensor4D, g: ConvGeometry) =>
  isWebgpu() && x.dtype === 'float32' && convFitsWebgpu(g) && (backboneConv() === 'pipe' || convAutotuneOn());

function frozenDispatched(x: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const fallback = backboneConv();
  const op = tf.customGrad((xIn) => ({
    value: forwardProduct(xIn as tf.Tensor4D, filter, g, 'forward', fallback),
    gradFunc: (dy: tf.Tensor4D) => transposedProduct(dy, filter, g, 'backward', fallback),
  }));
  return op(x) as tf.Tensor4D;
}
