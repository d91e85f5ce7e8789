// The smallest real pipeline end to end through the real CLI: facades at 32x32, two variants, a few
// training steps, four evaluation images. Checks that a run produces metrics.json, report.html and
// report.md, and that `pipe check` exits 0 when the thresholds hold and 1 when one fails.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageChildCommand } from '../../src/runtime/child-command.js';
import { readMetricsJson, type RunMetricsFile } from '../../src/core/formats/metrics-file.js';
import { REPO_DIR, SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../shared-paths.js';

const pipeline = (checks: string) => `
name: e2e-tiny
dataset: { source: facades, layout: aligned, direction: BtoA, load_size: 36, crop_size: 32, max_images: 8 }
model: { kind: pix2pix, generator: unet, ngf: 8, ndf: 8 }
loss: { l1: { weight: 100 } }
train: { epochs: 1, epochs_decay: 1, steps_per_epoch: 3, seed: 1, log_every: 1 }
variants:
  l1: {}
  l1_weak: { loss.l1.weight: 10 }
evaluate: { split: val, metrics: [ssim, psnr, lpips, mae, fps], lpips_net: squeeze, max_images: 4, bootstrap: 200 }
report: { samples: 3, baseline: l1 }
checks:
${checks}
`;

let tmp: string;
const env = { PIPE_DATA_DIR: SHARED_DATA_DIR, PIPE_WEIGHTS_DIR: SHARED_WEIGHTS_DIR };

function pipe(...args: string[]) {
  return execa('node', [...stageChildCommand().nodeOptions, path.join(REPO_DIR, 'src/cli.ts'), ...args], {
    cwd: tmp,
    env,
    reject: false,
    all: true,
  });
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-e2e-'));
  await fs.writeFile(
    path.join(tmp, 'passing.yaml'),
    pipeline(`  - { variant: l1, metric: ssim, min: -1 }
  - { variant: l1_weak, metric: mae, max_drop_vs: l1, by: 1 }`),
  );
  await fs.writeFile(path.join(tmp, 'failing.yaml'), pipeline(`  - { variant: l1, metric: ssim, min: 0.99 }`));
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('a tiny pipeline end to end', () => {
  let runDir: string;

  it('pipe run writes metrics.json, report.html and report.md; its checks pass (exit 0)', async () => {
    const r = await pipe('run', 'passing.yaml', '--backend', 'wasm', '--progress', 'plain', '--jobs', '2');
    expect(r.exitCode, r.all).toBe(0);
    runDir = await fs.realpath(path.join(tmp, 'runs/e2e-tiny/latest'));
    const metrics = await readMetricsJson<RunMetricsFile>(path.join(runDir, 'metrics.json'));
    expect(Object.keys(metrics.configs).sort()).toEqual(['l1', 'l1_weak']);
    for (const c of Object.values(metrics.configs)) {
      expect(Object.keys(c.images)).toHaveLength(4);
      for (const m of ['ssim', 'psnr', 'lpips', 'mae'] as const) {
        const s = c.summary[m]!;
        expect(Number.isFinite(s.mean), m).toBe(true);
        expect(s.ci_low).toBeLessThanOrEqual(s.mean);
        expect(s.ci_high).toBeGreaterThanOrEqual(s.mean);
      }
      expect(c.speed!.images_per_second).toBeGreaterThan(0);
      expect(c.speed!.backend).toBe('wasm');
    }
    const html = await fs.readFile(path.join(runDir, 'report.html'), 'utf8');
    expect(html).toContain('id="metrics-table"');
    expect(html.match(/<img src="data:image\/png;base64,/g)?.length).toBe(3 * 4);
    const md = await fs.readFile(path.join(runDir, 'report.md'), 'utf8');
    expect(md).toMatch(/\| l1 \(baseline\) \|/);
    expect(md).toContain('✅ PASS');
    expect((await pipe('check', runDir)).exitCode).toBe(0);
  });

  it('pipe check exits 1 when a threshold fails (stages come from the cache)', async () => {
    const r = await pipe('run', 'failing.yaml', '--backend', 'wasm', '--progress', 'plain');
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/l1 ssim >= 0.99.*FAIL/);
    const check = await pipe('check', 'failing.yaml');
    expect(check.exitCode, check.all).toBe(1);
    expect(check.stdout).toMatch(/1 of 1 checks FAILED/);
    // The first run still passes: checks belong to the run that made them.
    expect((await pipe('check', runDir)).exitCode).toBe(0);
  });
});
