// fid and kid through the whole pipeline: schema -> evaluate stage (both CycleGAN directions, every image of the
// split) -> metrics.json -> report notes -> a check gating on kid. The Inception weights are generated (the file's key
// layout, as a safetensors conversion in a temporary mirror): the network itself is checked in
// src/ml/metrics/inception.test.ts; here the plumbing is.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inceptionStateDictShapes } from '../../src/ml/metrics/inception.js';
import { encodeSafetensors } from '../../src/ml/weights/readers/safetensors.js';
import { readMetricsJson, type RunMetricsFile } from '../../src/core/formats/metrics-file.js';
import { runPipeline } from '../../src/runtime/run.js';
import { syntheticNamedStateDict } from '../fixtures/backbones/synthetic.js';
import { SHARED_DATA_DIR } from '../shared-paths.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-e2e-fid-'));
  await fs.mkdir(path.join(tmp, 'weights/inception'), { recursive: true });
  await fs.writeFile(
    path.join(tmp, 'weights/inception/pt_inception-2015-12-05.safetensors'),
    encodeSafetensors(syntheticNamedStateDict(inceptionStateDictShapes())),
  );
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('fid and kid in evaluate', () => {
  it('scores both CycleGAN directions over the split, flags FID on few images and gates on kid', async () => {
    const file = path.join(tmp, 'fid.yaml');
    await fs.writeFile(
      file,
      `name: e2e-fid
dataset: { source: summer2winter_yosemite, layout: unaligned, load_size: 36, crop_size: 32, max_images: 4 }
model: { kind: cyclegan, generator: resnet_6blocks, ngf: 4, ndf: 4, norm: instance, pool_size: 2 }
train: { epochs: 1, epochs_decay: 0, steps_per_epoch: 1, seed: 3, log_every: 1 }
evaluate: { split: test, metrics: [mae, fid, kid], max_images: 3, bootstrap: 100, kid_subset_size: 2, kid_subsets: 5 }
report: { samples: 1 }
checks:
  - { variant: base, metric: kid, max: 1.0e+30 }
  - { variant: base, metric: fid, min: 0 }
`,
    );
    const r = await runPipeline(file, {
      cwd: tmp,
      cacheDir: path.join(tmp, 'cache'),
      runsDir: path.join(tmp, 'runs'),
      dataDir: SHARED_DATA_DIR,
      weightsDir: path.join(tmp, 'weights'),
      backend: 'wasm',
    });
    expect(r.exitCode, r.summary).toBe(0);
    const run = await readMetricsJson<RunMetricsFile>(path.join(r.runDir, 'metrics.json'));
    for (const d of ['AtoB', 'BtoA'] as const) {
      const dir = run.configs.base!.directions[d]!;
      expect(dir.distribution).toMatchObject({
        generated: 3,
        real: 3,
        fid_biased: true,
        kid_subset_size: 2,
        kid_subsets: 5,
      });
      expect(dir.summary.fid!.mean).toBeGreaterThan(0);
      expect(Number.isFinite(dir.summary.kid!.mean)).toBe(true);
      expect(dir.summary.kid!.std).toBeGreaterThan(0);
    }
    expect(run.variants.base!.summary.fid!.mean).toBe(run.configs.base!.directions.AtoB!.summary.fid!.mean);
    // Generated weights give features far from ImageNet's, hence the loose gates; the values only have to be real.
    const md = await fs.readFile(path.join(r.runDir, 'report.md'), 'utf8');
    expect(md).toMatch(/FID here is computed on 3 images, fewer than 2048.*Prefer KID/);
  }, 300_000);
});
