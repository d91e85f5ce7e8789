import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReportFixture } from '../../test/fixtures/metrics/report-fixture.js';
import { readMetricsFile } from '../core/formats/metrics-read.js';
import { reportStage } from './report.js';
import type { StageContext } from './types.js';
import type { ReportParams } from '../core/stage-params.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-report-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function runReport(name: string, seeds?: number[]) {
  const root = path.join(tmp, name);
  const fx = await makeReportFixture(root, { seeds });
  const outDir = path.join(root, 'out');
  await fs.mkdir(outDir, { recursive: true });
  const logs: string[] = [];
  const ctx: StageContext<ReportParams> = {
    stageId: 'report',
    fingerprint: 'f',
    params: fx.params,
    inputs: fx.inputs,
    outDir,
    workDir: path.join(root, 'work'),
    env: { projectDir: root, backend: 'cpu', downloadDir: root },
    progress: () => {},
    log: (l) => logs.push(l),
    signal: new AbortController().signal,
  };
  await reportStage.run(ctx);
  return {
    outDir,
    html: await fs.readFile(path.join(outDir, 'report.html'), 'utf8'),
    md: await fs.readFile(path.join(outDir, 'report.md'), 'utf8'),
    metrics: await readMetricsFile(path.join(outDir, 'metrics.json'), ['pipe.run/1']),
  };
}

describe('report stage', () => {
  it('writes metrics.json, a self-contained report.html and report.md', async () => {
    const { html, md, metrics } = await runReport('plain');
    expect(Object.keys(metrics.configs)).toEqual(['l1', 'perceptual']);
    expect(metrics.variants.perceptual.vs_baseline?.ssim?.n).toBe(6);
    // Less noise -> higher SSIM for the perceptual fixture.
    expect(metrics.variants.perceptual.summary.ssim!.mean).toBeGreaterThan(metrics.variants.l1.summary.ssim!.mean);
    // Self-contained: no external URLs in src/href, chart.js inlined, images as data URIs.
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('Chart.js v4');
    expect(html.match(/<img src="data:image\/png;base64,/g)?.length).toBe(4 * 4);
    expect(html).toMatch(/id="metrics-table"/);
    expect(html.match(/class="loss-chart"/g)?.length).toBe(4);
    expect(html).toMatch(/<span class="star" title="best">★<\/span>/);
    expect(html).toContain('loss.perceptual.weight = 10');
    expect(html).not.toContain('seed-table');
    expect(md).toMatch(/\| config \| SSIM ↑ \| PSNR ↑ \| MAE ↓ \| img\/s ↑ \|/);
    expect(md).toMatch(/\| perceptual \| \*\*0\.\d{4}\*\* ★ \[0\.\d{4}, 0\.\d{4}\] \(\+0\.\d{4}\)/);
    expect(md).toContain('### Checks');
    expect(md).toMatch(/perceptual ssim >= 0.3 \| 0\.\d{4} \| >= 0.3000 \| ✅ PASS/);
  });

  it('escapes pipeline text in the HTML', async () => {
    const root = path.join(tmp, 'escape');
    const fx = await makeReportFixture(root);
    fx.params.description = '<script>alert(1)</script> & "quotes"';
    const outDir = path.join(root, 'out');
    await fs.mkdir(outDir, { recursive: true });
    await reportStage.run({
      stageId: 'report',
      fingerprint: 'f',
      params: fx.params,
      inputs: fx.inputs,
      outDir,
      workDir: root,
      env: { projectDir: root, backend: 'cpu', downloadDir: root },
      progress: () => {},
      log: () => {},
      signal: new AbortController().signal,
    });
    const html = await fs.readFile(path.join(outDir, 'report.html'), 'utf8');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).not.toContain('<script>alert(1)');
  });

  it('adds seed-averaged rows with paired tests when the sweep has seeds', async () => {
    const { html, md, metrics } = await runReport('seeds', [1, 2, 3]);
    expect(Object.keys(metrics.groups)).toEqual(['l1', 'perceptual']);
    expect(metrics.groups.perceptual.summary.ssim!.n).toBe(3);
    expect(html).toContain('id="seed-table"');
    expect(html).toContain('id="paired-tests"');
    expect(md).toContain('### Seed-averaged');
    expect(md).toMatch(/\| perceptual \| 3 \| .* p (< 0.001|0\.\d{3})/);
  });
});
