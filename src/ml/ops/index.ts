// Differentiable ops every model and backbone must use instead of calling tf.conv2d & co directly. Their gradients
// are built from forward convolutions, slices and pads only, because the stock gradient kernels are missing (wasm has
// no Conv2DBackpropFilter), wrong (wasm MaxPoolGrad, MirrorPad's gradient everywhere) or very slow (cpu
// Conv2DBackpropFilter). Each op lives in its own file; see docs/design.md.
import './register_gradients.js';
export type { Padding } from './geometry.js';
export { conv2d } from './conv2d.js';
export { conv2dTranspose } from './conv2d_transpose.js';
export { frozenConv2d, frozenFilterCount, disposeFrozenFilters } from './frozen_conv2d.js';
export {
  frozenDepthwiseConv2d,
  prepareDepthwiseFilter,
  type FrozenDepthwiseFilter,
} from './frozen_depthwise_conv2d.js';
export { maxPool } from './max_pool.js';
export { reflectionPad } from './reflection_pad.js';
export { setConvStrategy, type ConvStrategy } from './gemm_kernels.js';
export { adamUpdate, type AdamHyper } from './adam_update.js';
export { batchNorm, instanceNorm, normalizeAct, type NormActOptions } from './normalize.js';
export { concatRelu, leakyRelu, relu } from './activation.js';
export { dropout } from './dropout.js';
export { biasAct, biasAdd, frozenBiasRelu, type BiasActKind } from './bias_add.js';
