// The three convolution products (forward, transposed, filter gradient), each in the form that is faster for
// the layer's geometry: a matrix product for big filters on few pixels, a convolution kernel otherwise.
// conv2d and conv2dTranspose are each other's adjoints, so both build their value and gradients from these.
// On webgpu each product is one of pipe's implicit-GEMM kernels (src/ml/webgpu/conv.ts).
import * as tf from '@tensorflow/tfjs-core';
import { filterGrad, forwardConv, transposedConv } from './conv_kernels.js';
import {
  gemmFilterGrad,
  gemmForFilter,
  gemmForForward,
  gemmForTransposed,
  gemmForwardConv,
  gemmTransposedConv,
} from './gemm_kernels.js';
import type { ConvGeometry } from './geometry.js';
import {
  convFitsWebgpu,
  filterGradWebgpu,
  forwardConvWebgpu,
  inputGradWebgpu,
  tileFits,
  type ProductOptions,
  type TileSize,
} from '../webgpu/conv.js';
import { convKernel, type ConvKernel, type ConvProduct } from '../webgpu/conv-autotune.js';
import { f16InUse } from '../webgpu/f16.js';
import { isWebgpu, webgpuBackend } from '../webgpu/kernel.js';

const ownKernels = (t: tf.Tensor, g: ConvGeometry) => isWebgpu() && t.dtype === 'float32' && convFitsWebgpu(g);

type Pads4 = [[number, number], [number, number], [number, number], [number, number]];
const pads = (g: ConvGeometry): Pads4 => [
  [0, 0],
  [g.padTop, g.padBottom],
  [g.padLeft, g.padRight],
  [0, 0],
];

// tfjs's own kernel for each product on webgpu, one dispatch each (Conv2DMMProgram or im2col + matmul for the
// forward product, its Conv2DBackpropInput and Conv2DBackpropFilter kernels): the other candidate when
// PIPE_WEBGPU_CONV_AUTOTUNE=1 times both (webgpu/conv-autotune.ts).
const stockForward = (x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry) => forwardConv(x, w, g);
const stockInput = (dy: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry) =>
  tf.conv2dTranspose(dy, w, [g.batch, g.inH, g.inW, g.inC], g.stride, pads(g));
const stockFilter = (x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry) =>
  tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: g.stride,
    pad: pads(g),
    dataFormat: 'NHWC',
    filterShape: [g.kh, g.kw, g.inC, g.outC],
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;

/**
 * Which pass a product serves. Forward passes may take f16 operands on webgpu (PIPE_WEBGPU_F16=1, webgpu/f16.ts);
 * backward passes, whose operands include gradients, stay f32.
 */
export type Pass = 'forward' | 'backward';

const options = (pass: Pass): ProductOptions => ({ tiles: pass === 'forward' && f16InUse() ? 'f16' : 'f32' });

type Product = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D;
type Kernels = Partial<Record<ConvKernel, Product>> & { pipe: Product };

/**
 * Each product's kernels on webgpu: pipe's with 32x32 output tiles, with 64x64 over 64 threads and, where the device
 * runs workgroups of 256, over 256 threads; and tfjs's.
 */
function kernels(pipe: (tile: TileSize) => Product, stock: Product): Kernels {
  const wide = tileFits('64w', webgpuBackend().device.limits);
  return { pipe: pipe(32), pipe64: pipe(64), ...(wide ? { pipe64w: pipe('64w') } : {}), stock };
}
const forwardKernels = (g: ConvGeometry, o: ProductOptions) =>
  kernels(
    (tile) => (x, w) => forwardConvWebgpu(x, w, g, { ...o, tile }),
    (x, w) => stockForward(x, w, g),
  );
const inputKernels = (g: ConvGeometry, o: ProductOptions) =>
  kernels(
    (tile) => (dy, w) => inputGradWebgpu(dy, w, g, { ...o, tile }),
    (dy, w) => stockInput(dy, w, g),
  );
const filterKernels = (g: ConvGeometry) =>
  kernels(
    (tile) => (x, dy) => filterGradWebgpu(x, dy, g, { tile }),
    (x, dy) => stockFilter(x, dy, g),
  );

/**
 * A product's kernels on webgpu by name, on operands (x, filter), (dy, filter) or (x, dy): the candidates of
 * autotuning, and what bench/gpu/conv-kernels.ts times. `o` sets pipe's tiles' precision.
 */
export function productKernels(product: ConvProduct, g: ConvGeometry, o: ProductOptions = {}): Kernels {
  if (product === 'forward') return forwardKernels(g, o);
  return product === 'input' ? inputKernels(g, o) : filterKernels(g);
}

/** Runs a product on the kernel conv-autotune.ts gives it (`fallback` until it is tuned). */
function onChosenKernel(
  product: ConvProduct,
  precision: string,
  g: ConvGeometry,
  fallback: ConvKernel,
  run: Kernels,
  a: tf.Tensor4D,
  b: tf.Tensor4D,
): tf.Tensor4D {
  const kernel = convKernel(product, precision, g, fallback, () => ({ shapes: [a.shape, b.shape], run }));
  return (run[kernel] ?? run.pipe)(a, b);
}

/**
 * y = conv(x, filter). On webgpu, pipe's kernel unless `fallback` says stock (a frozen backbone's default) or
 * autotuning found another faster for this geometry.
 */
export function forwardProduct(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
  pass: Pass,
  fallback: ConvKernel = 'pipe',
): tf.Tensor4D {
  if (ownKernels(x, g)) {
    const o = options(pass);
    return onChosenKernel('forward', o.tiles!, g, fallback, forwardKernels(g, o), x, filter);
  }
  return gemmForForward(g) ? gemmForwardConv(x, filter, g) : forwardConv(x, filter, g);
}

/** dx for dy: the transposed product. On webgpu as forwardProduct chooses. */
export function transposedProduct(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  g: ConvGeometry,
  pass: Pass,
  fallback: ConvKernel = 'pipe',
): tf.Tensor4D {
  if (ownKernels(dy, g)) {
    const o = options(pass);
    return onChosenKernel('input', o.tiles!, g, fallback, inputKernels(g, o), dy, filter);
  }
  return gemmForTransposed(g) ? gemmTransposedConv(dy, filter, g) : transposedConv(dy, filter, g);
}

/** Gradient of forwardProduct with respect to its filter. */
export function filterProduct(x: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  if (ownKernels(x, g)) return onChosenKernel('filter', 'f32', g, 'pipe', filterKernels(g), x, dy);
  return gemmForFilter(g) ? gemmFilterGrad(x, dy, g) : filterGrad(x, dy, g);
}

/** conv2dTranspose's filter gradient: filterGrad (conv_kernels.ts) on cpu/wasm, the filter product on webgpu. */
export function transposeFilterProduct(dy: tf.Tensor4D, x: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  return ownKernels(dy, g) ? onChosenKernel('filter', 'f32', g, 'pipe', filterKernels(g), dy, x) : filterGrad(dy, x, g);
}
