// The TF.js export's index.html in headless Chromium (Debian's /usr/bin/chromium via playwright-core),
// served from a loopback server: pick a test image, read the output canvas, compare with `pipe predict`'s
// PNG for the same image (max abs difference <= 2/255). No request leaves the loopback server.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModel } from '../../src/ml/export/index.js';
import { openTrainDir } from '../../src/ml/inference/model-source.js';
import { loadInput, predictImages } from '../../src/ml/inference/predict.js';
import { readImage, writePng } from '../../src/ml/io/image.js';
import { writeModelDir } from '../fixtures/models/model-dir.js';
import { SHARED_DATA_DIR } from '../shared-paths.js';

const CHROMIUM = process.env.PIPE_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(
    `[browser test] skipped: no Chromium at ${CHROMIUM} (install Debian's chromium, as .ci/run does, or set PIPE_CHROMIUM)`,
  );

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
};
let tmp: string;
let server: http.Server;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'pipe-tfjs-demo-'));
});

afterAll(async () => {
  server?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

function serve(dir: string): Promise<number> {
  server = http.createServer((req, res) => {
    const file = path.join(dir, path.normalize(decodeURIComponent(new URL(req.url!, 'http://x').pathname)));
    fs.readFile(file, (err, body) => {
      if (err) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe.skipIf(!haveChromium)('TF.js export demo page in headless Chromium', () => {
  it('shows the same output as pipe predict for a picked image (max diff <= 2/255)', async () => {
    const dir = await writeModelDir(path.join(tmp, 'model'), {
      generator: 'unet',
      ngf: 4,
      norm: 'batch',
      dropout: false,
      cropSize: 64,
    });
    const model = await openTrainDir(dir, { evalMode: 'batch' });
    await exportModel(model, 'tfjs', path.join(tmp, 'site'));
    // A 64x64 test image (the A half of a facades pair, already at the model's size, so the page does not resample).
    const input = path.join(tmp, 'test.png');
    await writePng(
      input,
      await loadInput(path.join(SHARED_DATA_DIR, 'facades/val/5.jpg'), { layout: 'aligned', direction: 'AtoB', model }),
    );
    await predictImages({
      model,
      inputs: [{ file: input, name: 'test' }],
      outDir: path.join(tmp, 'pred'),
      direction: 'AtoB',
      layout: 'unaligned',
      batchSize: 1,
    });
    const expected = await readImage(path.join(tmp, 'pred/test.png'));
    model.dispose();

    const port = await serve(path.join(tmp, 'site'));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      const foreign: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(`http://127.0.0.1:${port}/`)) foreign.push(r.url());
      });
      await page.goto(`http://127.0.0.1:${port}/index.html`);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, {
        timeout: 30_000,
      });
      await page.setInputFiles('#file', input);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'done', null, {
        timeout: 30_000,
      });
      const rgba = await page.evaluate(() => {
        const c = document.getElementById('output') as HTMLCanvasElement;
        return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
      });
      let maxDiff = 0;
      for (let i = 0, j = 0; j < expected.data.length; i += 4, j += 3) {
        for (let c = 0; c < 3; c++) maxDiff = Math.max(maxDiff, Math.abs(rgba[i + c]! - expected.data[j + c]!));
      }
      console.log(`TF.js page vs pipe predict: max abs diff ${maxDiff}/255`);
      expect(maxDiff).toBeLessThanOrEqual(2);
      // Not a blank canvas: the output has structure.
      expect(new Set(rgba.filter((_, i) => i % 4 === 0)).size).toBeGreaterThan(10);
      expect(foreign).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
