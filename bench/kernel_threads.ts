// Thread scaling of the heaviest kernels of a pix2pix 256²/ngf 64 step (shapes from `npm run bench -- --profile`), on
// wasm at 1 and N threads, as the minimum over many repeats: on a shared machine the minimum is the run that had the
// cores to itself, so the ratio means something even when the load average is far above the core count.
//   node --import tsx bench/kernel_threads.ts [--threads 2] [--repeats 30]
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../src/ml/backend.js';

const argv = process.argv.slice(2);
const flag = (name: string, def: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : def;
};
const threads = flag('threads', 2);
const repeats = flag('repeats', 30);

interface Case {
  name: string;
  run(): tf.Tensor;
}

function cases(): { list: Case[]; inputs: tf.Tensor[] } {
  const r = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);
  const x1 = r([1, 32, 32, 256], 1);
  const f1 = r([4, 4, 256, 512], 2);
  const x2 = r([1, 128, 128, 64], 3);
  const f2 = r([4, 4, 64, 128], 4);
  const a = r([4096, 961], 5);
  const b = r([961, 512], 6);
  const t = r([8192, 1024], 7);
  const s = r([256, 4096], 8);
  const list: Case[] = [
    {
      name: 'Conv2D [1,32,32,256] * [4,4,256,512] s2',
      run: () => tf.conv2d(x1 as tf.Tensor4D, f1 as tf.Tensor4D, 2, 'same'),
    },
    {
      name: 'Conv2D [1,128,128,64] * [4,4,64,128] s2',
      run: () => tf.conv2d(x2 as tf.Tensor4D, f2 as tf.Tensor4D, 2, 'same'),
    },
    { name: 'BatchMatMul [4096,961] x [961,512]', run: () => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D) },
    { name: 'Transpose [8192,1024]', run: () => tf.transpose(t) },
    { name: 'Slice [256,4096] -> [256,2048]', run: () => tf.slice(s, [0, 1024], [256, 2048]) },
    { name: 'Multiply [8192,1024] x scalar', run: () => tf.mul(t, 0.5) },
    { name: 'Add [8192,1024] + [8192,1024]', run: () => tf.add(t, t) },
    { name: 'Sum [8192,1024] over axis 0', run: () => tf.sum(t, 0) },
    { name: 'LeakyRelu [8192,1024]', run: () => tf.leakyRelu(t, 0.2) },
  ];
  return { list, inputs: [x1, f1, x2, f2, a, b, t, s] };
}

async function minTimes(n: number): Promise<Record<string, number>> {
  const info = await initBackend('wasm', { threads: n });
  if (info.threads !== n)
    throw new Error(`wanted ${n} wasm threads, got ${info.threads} (${String(info.details?.threadsFallback)})`);
  const { list, inputs } = cases();
  const out: Record<string, number> = {};
  for (const c of list) {
    let best = Infinity;
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      const y = c.run();
      y.dataSync();
      best = Math.min(best, performance.now() - t0);
      y.dispose();
    }
    out[c.name] = best;
  }
  tf.dispose(inputs);
  return out;
}

const load0 = os.loadavg();
const one = await minTimes(1);
const many = await minTimes(threads);
const load1 = os.loadavg();
console.log(
  `wasm kernels, minimum of ${repeats} runs, 1 vs ${threads} threads; ${os.cpus()[0]?.model} x${os.cpus().length}; load average ${load0.map((l) => l.toFixed(1)).join(' ')} -> ${load1.map((l) => l.toFixed(1)).join(' ')}`,
);
console.log(`| kernel | 1 thread ms | ${threads} threads ms | speed-up |\n|---|---|---|---|`);
for (const k of Object.keys(one))
  console.log(`| ${k} | ${one[k]!.toFixed(2)} | ${many[k]!.toFixed(2)} | ${(one[k]! / many[k]!).toFixed(2)}× |`);
