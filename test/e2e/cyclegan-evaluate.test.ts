// CycleGAN on unaligned data through the runtime API: the evaluate stage must score both directions,
// against the input (there is no target), and the report must show both sample grids.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMetricsJson, type RunMetricsFile } from '../../src/core/formats/metrics-file.js';
import { runPipeline } from '../../src/runtime/run.js';
import { SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../shared-paths.js';

let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-e2e-cyclegan-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('CycleGAN evaluation', () => {
  it('scores A->B and B->A against the inputs and reports both', async () => {
    const file = path.join(tmp, 'cyclegan.yaml');
    await fs.writeFile(
      file,
      `name: e2e-cyclegan
dataset: { source: summer2winter_yosemite, layout: unaligned, load_size: 36, crop_size: 32, max_images: 4 }
model: { kind: cyclegan, generator: resnet_6blocks, ngf: 4, ndf: 4, norm: instance, pool_size: 2 }
train: { epochs: 1, epochs_decay: 0, steps_per_epoch: 2, seed: 3, log_every: 1 }
evaluate: { split: test, metrics: [ssim, psnr, mae], max_images: 3, bootstrap: 100 }
report: { samples: 2 }
checks:
  - { variant: base, metric: ssim, min: -1 }
`,
    );
    const r = await runPipeline(file, {
      cwd: tmp,
      cacheDir: path.join(tmp, 'cache'),
      runsDir: path.join(tmp, 'runs'),
      dataDir: SHARED_DATA_DIR,
      weightsDir: SHARED_WEIGHTS_DIR,
      backend: 'wasm',
    });
    expect(r.exitCode, r.summary).toBe(0);
    const run = await readMetricsJson<RunMetricsFile>(path.join(r.runDir, 'metrics.json'));
    const base = run.configs.base;
    expect(Object.keys(base.directions).sort()).toEqual(['AtoB', 'BtoA']);
    for (const d of ['AtoB', 'BtoA'] as const) {
      const dir = base.directions[d]!;
      expect(dir.reference).toBe('input');
      expect(Object.keys(dir.images)).toHaveLength(3);
      expect(dir.summary.ssim!.mean).toBeGreaterThan(-1);
      expect(dir.summary.ssim!.mean).toBeLessThan(1);
      expect(dir.speed!.timed).toBe(3);
    }
    // The primary direction is what tables and checks read.
    expect(base.summary).toEqual(base.directions.AtoB!.summary);
    const html = await fs.readFile(path.join(r.runDir, 'report.html'), 'utf8');
    expect(html).toContain('id="samples-AtoB"');
    expect(html).toContain('id="samples-BtoA"');
  });
});
