// The convolution products of the goal's configs, each timed on the GPU (timestamp queries, webgpu/gpu-times.ts) with
// pipe's kernel (f32, and f16 tiles where the adapter has shader-f16) and with tfjs's stock kernel for the same
// product: which one a layer should take is a question only a GPU answers. Prints one JSON line per layer and product:
//   {layer, product, shape, gflop, stock_ms, pipe_ms, pipe64_ms, pipe64w_ms, pipe_f16_ms, stock_gflops, pipe_gflops,
//    pipe64_gflops, pipe64w_gflops, adapter}
// (pipe64: pipe's kernel with 64x64 output tiles over 64 threads, 8x8 each; pipe64w: over 256 threads, 4x4 each,
// null where the device allows no workgroup of 256; both are PIPE_WEBGPU_CONV_AUTOTUNE=1's candidates)
// (ms: the median over --reps runs of the product's dispatches, split-K sums included; the stock filter gradient is
// tfjs's Conv2DBackpropFilter kernel, its input gradient Conv2DBackpropInput, as conv2dTranspose runs it)
//   node --import tsx bench/gpu/conv-kernels.ts [--reps 5] [--dry-run]
// --dry-run: the same layers at 1/8 of the width and height, which a software rasteriser manages.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/ml/backend.js';
import { convGeometry, type ConvGeometry } from '../../src/ml/ops/geometry.js';
import {
  filterGradWebgpu,
  forwardConvWebgpu,
  inputGradWebgpu,
  tileFits,
  type TileSize,
} from '../../src/ml/webgpu/conv.js';
import { webgpuBackend } from '../../src/ml/webgpu/kernel.js';
import { gpuTimesUnavailable, startGpuTimes, stopGpuTimes } from '../../src/ml/webgpu/gpu-times.js';

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

async function gpuMs(f: () => tf.Tensor): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i <= reps; i++) {
    startGpuTimes();
    const y = f();
    const t = await stopGpuTimes();
    y.dispose();
    if (i > 0) ms.push(t.busyMs); // the first run compiles
  }
  return [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
}

const pad = (g: ConvGeometry) => [
  [0, 0],
  [g.padTop, g.padBottom],
  [g.padLeft, g.padRight],
  [0, 0],
];

/** The three products of one layer, each as pipe's kernel and as tfjs's stock one. */
function products(x: tf.Tensor4D, w: tf.Tensor4D, dy: tf.Tensor4D, g: ConvGeometry) {
  const explicit = pad(g) as [[number, number], [number, number], [number, number], [number, number]];
  return {
    forward: {
      stock: () => tf.conv2d(x, w, g.stride, explicit),
      pipe: (f16: boolean, tile: TileSize = 32) => forwardConvWebgpu(x, w, g, { tiles: f16 ? 'f16' : 'f32', tile }),
    },
    input: {
      stock: () =>
        tf.engine().runKernel(
          'Conv2DBackpropInput',
          { dy, filter: w },
          {
            strides: g.stride,
            pad: explicit,
            dataFormat: 'NHWC',
            inputShape: x.shape,
          },
        ) as tf.Tensor,
      pipe: (f16: boolean, tile: TileSize = 32) => inputGradWebgpu(dy, w, g, { tiles: f16 ? 'f16' : 'f32', tile }),
    },
    filter: {
      stock: () =>
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          {
            strides: g.stride,
            pad: explicit,
            dataFormat: 'NHWC',
            filterShape: w.shape,
          },
        ) as tf.Tensor,
      pipe: (_f16: boolean, tile: TileSize = 32) => filterGradWebgpu(x, dy, g, { tile }),
      noF16: true, // a gradient's operands stay f32 (webgpu/f16.ts)
    },
  };
}

const info = await initBackend('webgpu');
const why = gpuTimesUnavailable();
if (why) {
  process.stderr.write(`conv-kernels: no GPU times on this adapter: ${why}\n`);
  process.exit(2);
}
const wide = tileFits('64w', webgpuBackend().device.limits);
const f16 = info.details?.f16 !== undefined && !String(info.details.f16).startsWith('not offered');
for (const [layer, size, cin, cout, k, stride] of LAYERS) {
  const hw = size / scale;
  const x = tf.randomUniform([1, hw, hw, cin], -1, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomUniform([k, k, cin, cout], -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
  const g = convGeometry(x.shape, w.shape, stride, stride === 1 ? 'same' : 1, 1, 'bench');
  const dy = tf.randomUniform([1, g.outH, g.outW, cout], -1, 1, 'float32', 3) as tf.Tensor4D;
  const gflop = (2 * g.outH * g.outW * cout * k * k * cin) / 1e9;
  for (const [product, p] of Object.entries(products(x, w, dy, g))) {
    const stockMs = await gpuMs(p.stock);
    const pipeMs = await gpuMs(() => p.pipe(false));
    const pipe64Ms = await gpuMs(() => p.pipe(false, 64));
    const pipe64wMs = wide ? await gpuMs(() => p.pipe(false, '64w')) : null;
    const pipeF16Ms = f16 && !('noF16' in p) ? await gpuMs(() => p.pipe(true)) : null;
    const rate = (ms: number) => Number((gflop / (ms / 1000)).toFixed(1));
    process.stdout.write(
      JSON.stringify({
        layer,
        product,
        shape: { hw, cin, cout, k, stride },
        gflop: Number(gflop.toFixed(3)),
        stock_ms: Number(stockMs.toFixed(3)),
        pipe_ms: Number(pipeMs.toFixed(3)),
        pipe64_ms: Number(pipe64Ms.toFixed(3)),
        pipe64w_ms: pipe64wMs === null ? null : Number(pipe64wMs.toFixed(3)),
        pipe_f16_ms: pipeF16Ms === null ? null : Number(pipeF16Ms.toFixed(3)),
        stock_gflops: rate(stockMs),
        pipe_gflops: rate(pipeMs),
        pipe64_gflops: rate(pipe64Ms),
        pipe64w_gflops: pipe64wMs === null ? null : rate(pipe64wMs),
        adapter: info.details?.adapterInfo ?? null,
      }) + '\n',
    );
  }
  tf.dispose([x, w, dy]);
}
