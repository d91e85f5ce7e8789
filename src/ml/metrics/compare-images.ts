// `pipe metrics A B`: pairs two files or two folders (by file name) and scores every pair.
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../../core/errors.js';
import { metricsToJson, type PairMetricName } from '../../core/formats/metrics-file.js';
import { isImageFile, readImage } from '../io/image.js';
import { METRICS, formatMetric } from './definitions.js';
import { createPairScorer, type LpipsNet } from './pair-scorer.js';

export interface ImagePair {
  name: string;
  a: string;
  b: string;
}

async function kind(p: string): Promise<'file' | 'dir'> {
  const st = await fs.stat(p).catch(() => undefined);
  if (!st)
    throw new UserError(
      'PIPE_IMAGE_UNREADABLE',
      `${p} does not exist. Give two image files or two folders of images.`,
      2,
    );
  return st.isDirectory() ? 'dir' : 'file';
}

const stem = (name: string) => name.replace(/\.[^.]+$/, '');

/** Two files: one pair named by A's file name. Two folders: images with the same name (or, failing that, stem). */
export async function pairImages(a: string, b: string): Promise<{ pairs: ImagePair[]; unmatched: string[] }> {
  const [ka, kb] = [await kind(a), await kind(b)];
  if (ka !== kb)
    throw new UserError(
      'PIPE_IMAGE_PAIRING',
      `${a} is a ${ka} but ${b} is a ${kb}: give two image files or two folders.`,
      2,
    );
  if (ka === 'file') return { pairs: [{ name: path.basename(a), a, b }], unmatched: [] };
  const list = async (d: string) => (await fs.readdir(d)).filter(isImageFile).sort();
  const [na, nb] = [await list(a), await list(b)];
  const exact = new Set(nb);
  const byStem = new Map(nb.map((n) => [stem(n), n]));
  const pairs: ImagePair[] = [];
  const unmatched: string[] = [];
  for (const n of na) {
    const m = exact.has(n) ? n : byStem.get(stem(n));
    if (m) pairs.push({ name: n, a: path.join(a, n), b: path.join(b, m) });
    else unmatched.push(n);
  }
  if (pairs.length === 0) {
    throw new UserError(
      'PIPE_IMAGE_PAIRING',
      `No images in ${a} have a namesake in ${b} (${na.length} and ${nb.length} images). Pairs are matched by file name (or name without extension).`,
      2,
    );
  }
  return { pairs, unmatched };
}

export interface PairScores {
  pairs: Record<string, Partial<Record<PairMetricName, number>>>;
  mean: Partial<Record<PairMetricName, number>>;
}

export async function scoreImagePairs(
  pairs: ImagePair[],
  options: { metrics: PairMetricName[]; lpipsNet?: LpipsNet; weightsDir?: string },
): Promise<PairScores> {
  const scorer = await createPairScorer(options);
  const out: PairScores = { pairs: {}, mean: {} };
  try {
    for (const p of pairs) {
      const [ia, ib] = [await readImage(p.a), await readImage(p.b)];
      if (ia.width !== ib.width || ia.height !== ib.height) {
        throw new UserError(
          'PIPE_IMAGE_SIZE_MISMATCH',
          `${p.a} is ${ia.width}x${ia.height} but ${p.b} is ${ib.width}x${ib.height}; the images of a pair must have the same size.`,
        );
      }
      if (options.metrics.includes('ssim') && (ia.width < 11 || ia.height < 11)) {
        throw new UserError(
          'PIPE_IMAGE_TOO_SMALL',
          `${p.a} is ${ia.width}x${ia.height}; SSIM needs at least 11x11 pixels.`,
        );
      }
      out.pairs[p.name] = await scorer.score(ia, ib);
    }
  } finally {
    scorer.dispose();
  }
  for (const m of options.metrics) {
    const values = Object.values(out.pairs).map((v) => v[m] as number);
    out.mean[m] = values.reduce((s, v) => s + v, 0) / values.length;
  }
  return out;
}

export function formatPairScores(scores: PairScores, metrics: PairMetricName[]): string {
  const header = ['pair', ...metrics.map((m) => METRICS[m].label)];
  const rows = Object.entries(scores.pairs).map(([name, v]) => [name, ...metrics.map((m) => formatMetric(m, v[m]))]);
  rows.push(['mean', ...metrics.map((m) => formatMetric(m, scores.mean[m]))]);
  const widths = header.map((_, i) => Math.max(header[i].length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(0, -1).map(line),
    widths.map((w) => '-'.repeat(w)).join('  '),
    line(rows.at(-1)!),
    '',
  ].join('\n');
}

const NETS = ['squeeze', 'vgg', 'alex'];

export async function runMetricsCommand(
  a: string,
  b: string,
  opts: { json?: boolean; lpipsNet: string; lpips: boolean; weightsDir?: string; backend: string },
): Promise<string> {
  if (!NETS.includes(opts.lpipsNet))
    throw new UserError(
      'PIPE_BAD_OPTION',
      `--lpips-net must be one of ${NETS.join(', ')} (got "${opts.lpipsNet}").`,
      2,
    );
  const metrics: PairMetricName[] = opts.lpips ? ['ssim', 'psnr', 'lpips', 'mae'] : ['ssim', 'psnr', 'mae'];
  const { pairs, unmatched } = await pairImages(a, b);
  if (unmatched.length)
    process.stderr.write(
      `pipe metrics: ${unmatched.length} image(s) in ${a} have no namesake in ${b}: ${unmatched.slice(0, 5).join(', ')}${unmatched.length > 5 ? ', ...' : ''}\n`,
    );
  if (opts.lpips) {
    const { initBackend } = await import('../backend.js');
    await initBackend(opts.backend as Parameters<typeof initBackend>[0]);
  }
  const scores = await scoreImagePairs(pairs, {
    metrics,
    lpipsNet: opts.lpipsNet as LpipsNet,
    weightsDir: opts.weightsDir ?? process.env.PIPE_WEIGHTS_DIR,
  });
  return opts.json ? metricsToJson(scores) : formatPairScores(scores, metrics);
}
