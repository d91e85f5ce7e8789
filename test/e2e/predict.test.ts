// `pipe predict` against the evaluate stage of a real (tiny) run: same model, same evaluation images,
// byte-identical PNGs on wasm (pix2pix U-Net with batch norm and dropout, so batch statistics and the
// dropout stream must both match). Plus the user errors that name what is wrong.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageChildCommand } from '../../src/runtime/child-command.js';
import { REPO_DIR, SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../shared-paths.js';

const pipeline = `
name: predict-tiny
dataset: { source: facades, layout: aligned, direction: BtoA, load_size: 36, crop_size: 32, max_images: 8 }
model: { kind: pix2pix, generator: unet, ngf: 8, ndf: 8 }
loss: { l1: { weight: 100 } }
train: { epochs: 1, epochs_decay: 0, steps_per_epoch: 2, seed: 3 }
variants:
  a: {}
  b: { train.seed: 4 }
evaluate: { split: val, metrics: [mae], max_images: 5, bootstrap: 100 }
report: { samples: 1, baseline: a }
`;

let tmp: string;
let runDir: string;
const env = { PIPE_DATA_DIR: SHARED_DATA_DIR, PIPE_WEIGHTS_DIR: SHARED_WEIGHTS_DIR };
const pipe = (...args: string[]) =>
  execa('node', [...stageChildCommand().nodeOptions, path.join(REPO_DIR, 'src/cli.ts'), ...args], {
    cwd: tmp,
    env,
    reject: false,
    all: true,
  });

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-predict-'));
  await fs.writeFile(path.join(tmp, 'p.yaml'), pipeline);
  const r = await pipe('run', 'p.yaml', '--backend', 'wasm', '--progress', 'none', '--no-checks');
  expect(r.exitCode, r.all).toBe(0);
  runDir = await fs.realpath(path.join(tmp, 'runs/predict-tiny/latest'));
}, 120_000);

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('pipe predict on a run', () => {
  it('reproduces the evaluate stage PNGs bit for bit (wasm)', async () => {
    const val = path.join(SHARED_DATA_DIR, 'facades', 'val');
    const inputs = ['1.jpg', '2.jpg', '3.jpg', '4.jpg', '5.jpg'].map((f) => path.join(val, f));
    const r = await pipe('predict', `${runDir}:b`, ...inputs, '-o', 'out-b', '--backend', 'wasm');
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toContain('5 images');
    const evalDir = path.join(runDir, 'stages/evaluate/b/output/images/AtoB');
    for (const n of [1, 2, 3, 4, 5]) {
      const ours = await fs.readFile(path.join(tmp, 'out-b', `${n}.png`));
      const theirs = await fs.readFile(path.join(evalDir, `${n}.png`));
      expect(ours.equals(theirs), `${n}.png`).toBe(true);
    }
    // The other variant's model gives other pixels: the comparison above can fail.
    const other = await pipe('predict', `p.yaml:a`, inputs[0]!, '-o', 'out-a', '--backend', 'wasm');
    expect(other.exitCode, other.all).toBe(0);
    const a = await fs.readFile(path.join(tmp, 'out-a', '1.png'));
    expect(a.equals(await fs.readFile(path.join(tmp, 'out-b', '1.png')))).toBe(false);
  }, 60_000);

  it("the report's commands for a variant work as printed (predict, export onnx)", async () => {
    const md = await fs.readFile(path.join(runDir, 'report.md'), 'utf8');
    const predict = md.split('\n').find((l) => l.startsWith('pipe predict runs/predict-tiny/latest:a '))!;
    expect(predict).toBe(
      'pipe predict runs/predict-tiny/latest:a PAIRS_DIR/ (A|B images, split like the dataset) -o predictions/a',
    );
    const image = path.join(SHARED_DATA_DIR, 'facades/val/1.jpg');
    const args = predict.replace('PAIRS_DIR/ (A|B images, split like the dataset)', image).split(' ').slice(1);
    const r = await pipe(...args, '--backend', 'wasm');
    expect(r.exitCode, r.all).toBe(0);
    const ours = await fs.readFile(path.join(tmp, 'predictions/a/1.png'));
    expect(ours.equals(await fs.readFile(path.join(runDir, 'stages/evaluate/a/output/images/AtoB/1.png')))).toBe(true);
    const exp = md.split('\n').find((l) => l.startsWith('pipe export runs/predict-tiny/latest:a --format onnx'))!;
    const e = await pipe(...exp.split(' ').slice(1));
    expect(e.exitCode, e.all).toBe(0);
    expect(JSON.parse(await fs.readFile(path.join(tmp, 'export/a-onnx/export.json'), 'utf8')).files.AtoB).toBe(
      'G.onnx',
    );
  }, 60_000);

  it('names what is wrong: a missing variant, a missing input, an unreadable image', async () => {
    const noVariant = await pipe('predict', runDir, 'x.jpg', '-o', 'o');
    expect(noVariant.exitCode).toBe(2);
    expect(noVariant.stderr).toMatch(/several variants; name one: .*:a, .*:b/);
    const missing = await pipe('predict', `${runDir}:a`, 'nope.jpg', '-o', 'o');
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('Input nope.jpg does not exist');
    await fs.writeFile(path.join(tmp, 'broken.png'), 'not a png');
    const broken = await pipe('predict', `${runDir}:a`, 'broken.png', '-o', 'o', '--backend', 'wasm');
    expect(broken.exitCode).toBe(1);
    expect(broken.stderr).toMatch(/Could not read image .*broken\.png/);
    const running = await pipe(
      'predict',
      `${runDir}:a`,
      path.join(SHARED_DATA_DIR, 'facades/val/1.jpg'),
      '-o',
      'o',
      '--eval-mode',
      'running',
      '--backend',
      'wasm',
    );
    expect(running.exitCode).toBe(1);
    expect(running.stderr).toContain('keeps no running averages');
  }, 60_000);
});
