// Metric speed: pipe's SSIM / PSNR / MAE (typed-array JS) and LPIPS (TensorFlow.js) per 256x256 RGB pair,
// next to scikit-image's SSIM/PSNR on the same pixels in the same invocation.
//   node --import tsx bench/metrics.ts [--lpips-backends wasm,cpu] [--reps 30] [--no-python]
// Load average goes into the output: timings on a busy machine mean little.
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { readImage, cropImage } from '../src/ml/io/image.js';
import { mae, psnr } from '../src/ml/metrics/pixel.js';
import { ssim } from '../src/ml/metrics/ssim.js';
import type { RgbImage } from '../src/ml/metrics/image.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const DATA = process.env.PIPE_DATA_DIR ?? path.resolve(ROOT, '../shared/datasets');
const WEIGHTS = process.env.PIPE_WEIGHTS_DIR ?? path.resolve(ROOT, '../shared/weights');
const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const reps = Number(arg('reps') ?? 30);

function time(fn: () => void, n = reps): number {
  for (let i = 0; i < 3; i++) fn();
  const t = performance.now();
  for (let i = 0; i < n; i++) fn();
  return (performance.now() - t) / n;
}

const img = await readImage(path.join(DATA, 'facades/test/1.jpg'));
const a = cropImage(img, 0, 0, 256, 256);
const b = cropImage(img, 256, 0, 256, 256);
const rows: [string, string, number][] = [
  ['SSIM', 'pipe (JS)', time(() => ssim(a, b))],
  ['PSNR', 'pipe (JS)', time(() => psnr(a, b))],
  ['MAE', 'pipe (JS)', time(() => mae(a, b))],
];

if (!process.argv.includes('--no-python')) {
  const py = `
import sys, time, numpy as np
from skimage.metrics import structural_similarity as S, peak_signal_noise_ratio as P
buf = sys.stdin.buffer.read(); a = np.frombuffer(buf[:196608], np.uint8).reshape(256,256,3); b = np.frombuffer(buf[196608:], np.uint8).reshape(256,256,3)
def t(f, n=${reps}):
    for _ in range(3): f()
    s = time.perf_counter()
    for _ in range(n): f()
    return (time.perf_counter() - s) / n * 1000
print(t(lambda: S(a, b, channel_axis=2, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)))
print(t(lambda: P(a, b, data_range=255)))`;
  try {
    const r = await execa('/usr/bin/python3', ['-c', py], {
      input: Buffer.concat([Buffer.from(a.data), Buffer.from(b.data)]),
    });
    const [s, p] = r.stdout.trim().split('\n').map(Number);
    rows.push(['SSIM', 'scikit-image', s], ['PSNR', 'scikit-image', p]);
  } catch (err) {
    console.error(`(no scikit-image timing: ${(err as Error).message.split('\n')[0]})`);
  }
}

for (const backend of (arg('lpips-backends') ?? 'wasm').split(',')) {
  const { initBackend } = await import('../src/ml/backend.js');
  const { createPairScorer } = await import('../src/ml/metrics/pair-scorer.js');
  await initBackend(backend as 'wasm');
  const scorer = await createPairScorer({ metrics: ['lpips'], lpipsNet: 'squeeze', weightsDir: WEIGHTS });
  const score = (x: RgbImage, y: RgbImage) => scorer.score(x, y);
  for (let i = 0; i < 2; i++) await score(a, b);
  const n = Math.max(3, Math.floor(reps / 3));
  const t = performance.now();
  for (let i = 0; i < n; i++) await score(a, b);
  rows.push(['LPIPS squeeze', `pipe (tfjs ${backend})`, (performance.now() - t) / n]);
  scorer.dispose();
}

console.log(
  `256x256 RGB pair, ${reps} reps; ${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log('metric         implementation       ms/pair');
for (const [m, impl, ms] of rows) console.log(`${m.padEnd(14)} ${impl.padEnd(20)} ${ms.toFixed(2).padStart(8)}`);
