// The convolution products of the goal's configs, each timed on the GPU (timestamp queries, webgpu/gpu-times.ts) with
// pipe's kernel (f32, and f16 tiles where the adapter has shader-f16) and with tfjs's stock kernel for the same
// product: which one a layer should take is a question only a GPU answers. Prints one JSON line per layer and product:
//   {layer, product, shape, gflop, stock_ms, pipe_ms, pipe64_ms, pipe64w_ms, pipe_f16_ms, stock_gflops, pipe_gflops,
//    pipe64_gflops, pipe64w_gflops, adapter}
// (pipe64: pipe's kernel with 64x64 output tiles over 64 threads, 8x8 each; pipe64w: over 256 threads, 4x4 each,
// null where the device allows no workgroup of 256; both are PIPE_WEBGPU_CONV_AUTOTUNE=1's candidates)
// (ms: the median over --reps runs of the product's dispatches, split-K sums included; the kernels are autotuning's
// candidates, src/ml/ops/conv_dispatch.ts productKernels: tfjs's are Conv2DMMProgram or im2col + matmul, and its
// Conv2DBackpropInput and Conv2DBackpropFilter kernels)
//   node --import tsx bench/gpu/conv-kernels.ts [--reps 5] [--dry-run]
// --dry-run: the same layers at 1/8 of the width and height, which a software rasteriser manages.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/ml/backend.js';
import { productKernels } from '../../src/ml/ops/conv_dispatch.js';
import { convGeometry } from '../../src/ml/ops/geometry.js';
import { CONV_KERNELS, type ConvProduct } from '../../src/ml/webgpu/conv-autotune.js';
import { gpuTimesUnavailable, medianGpuMs } from '../../src/ml/webgpu/gpu-times.js';

const argv = process.argv.slice(2);
const reps = argv.includes('--reps') ? Number(argv[argv.indexOf('--reps') + 1]) : 5;
const scale = argv.includes('--dry-run') ? 8 : 1;

/** [name, input size, in channels, out channels, kernel, stride]: the layers that take most of a step's FLOPs. */
const LAYERS: [string, number, number, number, number, number][] = [
  ['unet-down2 (4x4 s2, 128² in)', 128, 64, 128, 4, 2],
  ['unet-down3 (4x4 s2, 64² in)', 64, 128, 256, 4, 2],
  ['vgg conv1_2 (3x3, 256²)', 256, 64, 64, 3, 1],
  ['vgg conv2_2 (3x3, 128²)', 128, 128, 128, 3, 1],
  ['vgg conv3_3 (3x3, 64²)', 64, 256, 256, 3, 1],
  ['resnet block (3x3, 64²)', 64, 256, 256, 3, 1],
];

const info = await initBackend('webgpu');
const why = gpuTimesUnavailable();
if (why) {
  process.stderr.write(`conv-kernels: no GPU times on this adapter: ${why}\n`);
  process.exit(2);
}
const f16 = info.details?.f16 !== undefined && !String(info.details.f16).startsWith('not offered');
const round = (x: number | null, digits: number) => (x === null ? null : Number(x.toFixed(digits)));
for (const [layer, size, cin, cout, k, stride] of LAYERS) {
  const hw = size / scale;
  const x = tf.randomUniform([1, hw, hw, cin], -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform([k, k, cin, cout], -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
  const g = convGeometry(x.shape, w.shape, stride, stride === 1 ? 'same' : 1, 1, 'bench');
  const dy = tf.randomUniform([1, g.outH, g.outW, cout], -1, 1, 'float32', 3) as tf.Tensor4D;
  const gflop = (2 * g.outH * g.outW * cout * k * k * cin) / 1e9;
  const operands: Record<ConvProduct, [tf.Tensor4D, tf.Tensor4D]> = {
    forward: [x, w],
    input: [dy, w],
    filter: [x, dy],
  };
  for (const [product, [a, b]] of Object.entries(operands) as [ConvProduct, [tf.Tensor4D, tf.Tensor4D]][]) {
    const run = productKernels(product, g);
    const ms: Record<string, number | null> = {};
    for (const kernel of CONV_KERNELS) {
      const f = run[kernel];
      ms[kernel] = f ? await medianGpuMs(() => f(a, b), reps) : null;
    }
    // A gradient's operands stay f32 (webgpu/f16.ts): f16 tiles only for the forward and transposed products.
    const half = f16 && product !== 'filter' ? productKernels(product, g, { tiles: 'f16' }).pipe : null;
    const rate = (t: number | null) => (t === null ? null : round(gflop / (t / 1000), 1));
    process.stdout.write(
      JSON.stringify({
        layer,
        product,
        shape: { hw, cin, cout, k, stride },
        gflop: round(gflop, 3),
        stock_ms: round(ms.stock!, 3),
        pipe_ms: round(ms.pipe!, 3),
        pipe64_ms: round(ms.pipe64!, 3),
        pipe64w_ms: round(ms.pipe64w!, 3),
        pipe_f16_ms: half ? round(await medianGpuMs(() => half(a, b), reps), 3) : null,
        stock_gflops: rate(ms.stock!),
        pipe_gflops: rate(ms.pipe!),
        pipe64_gflops: rate(ms.pipe64!),
        pipe64w_gflops: rate(ms.pipe64w!),
        adapter: info.details?.adapterInfo ?? null,
      }) + '\n',
    );
  }
  tf.dispose([x, w, dy]);
}
