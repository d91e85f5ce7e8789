// Renders a report.html in headless Chromium and saves a full-page PNG (how docs/report.png was made):
//   node docs/make-report-screenshot.mjs runs/facades-l1-vs-perceptual/latest/report.html docs/report.png
// The README image was then reduced to 256 colours (Pillow median cut, no dither) to keep it small.
import path from 'node:path';
import { chromium } from 'playwright-core';

const [html, out] = process.argv.slice(2);
if (!html || !out) throw new Error('usage: make-report-screenshot.mjs REPORT_HTML OUT_PNG');
const browser = await chromium.launch({
  executablePath: process.env.PIPE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
await page.goto(`file://${path.resolve(html)}`);
await page.waitForFunction(() => window.__pipeReport !== undefined);
await page.screenshot({ path: out, fullPage: true });
await browser.close();
