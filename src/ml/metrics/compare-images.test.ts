import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricCases } from '../../../test/fixtures/metrics/cases.js';
import { parseMetricsJson } from '../../core/formats/metrics-file.js';
import { writePng } from '../io/image.js';
import { runMetricsCommand } from './compare-images.js';

let tmp: string;
const opts = { lpipsNet: 'squeeze', lpips: false, backend: 'cpu' };
const [photoVsLabel, , identical] = metricCases();

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-metrics-cli-'));
  for (const d of ['a', 'b']) await fs.mkdir(path.join(tmp, d));
  await writePng(path.join(tmp, 'a/x.png'), photoVsLabel.a);
  await writePng(path.join(tmp, 'b/x.png'), photoVsLabel.b);
  await writePng(path.join(tmp, 'a/same.png'), identical.a);
  await writePng(path.join(tmp, 'b/same.png'), identical.b);
  await writePng(path.join(tmp, 'a/only-a.png'), identical.a);
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('pipe metrics', () => {
  it('scores two folders matched by name, with the mean, as JSON', async () => {
    const out = parseMetricsJson<{ pairs: Record<string, Record<string, number>>; mean: Record<string, number> }>(
      await runMetricsCommand(path.join(tmp, 'a'), path.join(tmp, 'b'), { ...opts, json: true }),
    );
    expect(Object.keys(out.pairs).sort()).toEqual(['same.png', 'x.png']);
    expect(out.pairs['x.png'].ssim).toBeCloseTo(0.06248134777260796, 9); // reference.json, skimage
    expect(out.pairs['same.png']).toEqual({ ssim: 1, psnr: Infinity, mae: 0 });
    expect(out.mean.psnr).toBe(Infinity);
    expect(out.mean.ssim).toBeCloseTo((0.06248134777260796 + 1) / 2, 9);
  });

  it('names one pair of files after A and prints a table', async () => {
    const text = await runMetricsCommand(path.join(tmp, 'a/x.png'), path.join(tmp, 'b/x.png'), opts);
    expect(text).toMatch(/x\.png\s+0\.0625\s+6\.42\s+0\.4230/);
    expect(text).toMatch(/mean\s+0\.0625/);
  });

  it('errors name the offending file', async () => {
    await writePng(path.join(tmp, 'small.png'), { width: 10, height: 10, data: new Uint8Array(300) });
    await expect(runMetricsCommand(path.join(tmp, 'a/x.png'), path.join(tmp, 'small.png'), opts)).rejects.toThrow(
      /small\.png is 10x10/,
    );
    await fs.writeFile(path.join(tmp, 'broken.png'), 'not an image');
    await expect(runMetricsCommand(path.join(tmp, 'broken.png'), path.join(tmp, 'a/x.png'), opts)).rejects.toThrow(
      /broken\.png/,
    );
    await expect(runMetricsCommand(path.join(tmp, 'a'), path.join(tmp, 'a/x.png'), opts)).rejects.toThrow(
      /is a dir but .* is a file/,
    );
    await expect(
      runMetricsCommand(path.join(tmp, 'a/x.png'), path.join(tmp, 'b/x.png'), { ...opts, lpipsNet: 'resnet' }),
    ).rejects.toThrow(/--lpips-net must be one of squeeze, vgg, alex/);
  });
});

describe('pipe metrics with LPIPS', () => {
  it('adds LPIPS (squeeze, shared weights) to every pair', async () => {
    const { SHARED_WEIGHTS_DIR } = await import('../../../test/shared-paths.js');
    const out = parseMetricsJson<{ pairs: Record<string, Record<string, number>> }>(
      await runMetricsCommand(path.join(tmp, 'a/x.png'), path.join(tmp, 'b/x.png'), {
        ...opts,
        lpips: true,
        backend: 'wasm',
        weightsDir: SHARED_WEIGHTS_DIR,
        json: true,
      }),
    );
    // A facade photo vs its label map: perceptually far apart (LPIPS runs 0 = same .. ~1).
    expect(out.pairs['x.png'].lpips).toBeGreaterThan(0.3);
    expect(out.pairs['x.png'].lpips).toBeLessThan(1);
  });
});
