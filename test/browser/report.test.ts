// Renders a report.html in headless Chromium (Debian's /usr/bin/chromium via playwright-core) and
// checks what a reader sees: the metrics table, drawn (non-blank) loss charts, decoded sample
// images, no network requests. Saves a screenshot to test-artifacts/report.png.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportParams } from '../../src/core/stage-params.js';
import { reportStage } from '../../src/stages/report.js';
import type { StageContext } from '../../src/stages/types.js';
import { makeReportFixture } from '../fixtures/metrics/report-fixture.js';
import { REPO_DIR } from '../shared-paths.js';

const CHROMIUM = process.env.PIPE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(
    `[browser test] skipped: no Chromium at ${CHROMIUM} (install Debian's chromium, as .ci/run does, or set PIPE_CHROMIUM)`,
  );

let tmp: string;
let reportFile: string;

beforeAll(async () => {
  if (!haveChromium) return;
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'pipe-browser-'));
  const fx = await makeReportFixture(tmp, { seeds: [1, 2] });
  const outDir = path.join(tmp, 'out');
  await fsp.mkdir(outDir);
  const ctx: StageContext<ReportParams> = {
    stageId: 'report',
    fingerprint: 'f',
    params: fx.params,
    inputs: fx.inputs,
    outDir,
    workDir: tmp,
    env: { projectDir: tmp, backend: 'cpu', downloadDir: tmp },
    progress: () => {},
    log: () => {},
    signal: new AbortController().signal,
  };
  await reportStage.run(ctx);
  reportFile = path.join(outDir, 'report.html');
});

afterAll(async () => {
  if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!haveChromium)('report.html in headless Chromium', () => {
  it('shows the table, drawn charts and images without any network access', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const external: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => {
        if (!/^(file|data):/.test(r.url())) external.push(r.url());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`file://${reportFile}`, { waitUntil: 'load' });
      await page.waitForFunction(
        () => (window as unknown as { __pipeReport?: { charts: number } }).__pipeReport !== undefined,
      );

      const state = await page.evaluate(() => {
        const rows = [...document.querySelectorAll('#metrics-table tbody tr')].map(
          (tr) => tr.querySelector('th')?.textContent ?? '',
        );
        const charts = [...document.querySelectorAll<HTMLCanvasElement>('canvas.loss-chart')].map((c) => {
          const ctx = c.getContext('2d')!;
          const { data } = ctx.getImageData(0, 0, c.width, c.height);
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
          return { term: c.dataset.term, width: c.width, painted: painted / (c.width * c.height) };
        });
        const images = [...document.querySelectorAll<HTMLImageElement>('table.samples img')].map((img) => ({
          complete: img.complete,
          w: img.naturalWidth,
        }));
        return {
          rows,
          charts,
          images,
          seedRows: document.querySelectorAll('#seed-table tbody tr').length,
          checks: document.querySelector('#check-summary')?.textContent,
        };
      });
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      expect(state.rows).toEqual(['l1-seed=1', 'l1-seed=2', 'perceptual-seed=1', 'perceptual-seed=2']);
      expect(state.seedRows).toBe(2);
      expect(state.checks).toBe('all 2 checks passed');
      expect(state.charts.map((c) => c.term).sort()).toEqual(['D_fake', 'D_real', 'G_GAN', 'G_L1']);
      for (const c of state.charts) {
        expect(c.width).toBeGreaterThan(100);
        // Axes, labels and lines cover a few percent of a drawn chart; a blank canvas has none.
        expect(c.painted).toBeGreaterThan(0.01);
      }
      // 4 samples x (input + 4 configs + target)
      expect(state.images).toHaveLength(24);
      expect(state.images.every((i) => i.complete && i.w === 128)).toBe(true);

      const artifacts = path.join(REPO_DIR, 'test-artifacts');
      await fsp.mkdir(artifacts, { recursive: true });
      await page.screenshot({ path: path.join(artifacts, 'report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
