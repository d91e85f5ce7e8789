// model.init_from end to end: an official-layout generator file (made by the PyTorch twin,
// test/fixtures/models/make_fixtures.py) scored by an evaluate-only pipeline (0 training epochs), the
// same pixels as `pipe predict FILE.pth`, the file's bytes in the train fingerprint, and a clear failure
// when the pipeline's architecture does not fit the file.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageChildCommand } from '../../src/runtime/child-command.js';
import { REPO_DIR, SHARED_DATA_DIR, SHARED_WEIGHTS_DIR } from '../shared-paths.js';

const pipeline = (ngf: number) => `
name: init-tiny
dataset: { source: facades, layout: aligned, direction: AtoB, load_size: 32, crop_size: 32, max_images: 2 }
model: { kind: pix2pix, generator: resnet_6blocks, ngf: ${ngf}, ndf: 4, norm: instance, dropout: false, init_from: official/latest_net_G.pth }
train: { epochs: 0, epochs_decay: 0 }
evaluate: { split: val, metrics: [mae], max_images: 3, bootstrap: 100 }
`;

let tmp: string;
const env = { PIPE_DATA_DIR: SHARED_DATA_DIR, PIPE_WEIGHTS_DIR: SHARED_WEIGHTS_DIR };
const pipe = (...args: string[]) =>
  execa('node', [...stageChildCommand().nodeOptions, path.join(REPO_DIR, 'src/cli.ts'), ...args], {
    cwd: tmp,
    env,
    reject: false,
    all: true,
  });
const VAL = ['1.jpg', '2.jpg', '3.jpg'].map((f) => path.join(SHARED_DATA_DIR, 'facades', 'val', f));

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-init-'));
  await fs.mkdir(path.join(tmp, 'official'));
  await fs.copyFile(
    path.join(REPO_DIR, 'test/fixtures/models/resnet6_instance_zip.pth'),
    path.join(tmp, 'official/latest_net_G.pth'),
  );
  await fs.writeFile(path.join(tmp, 'p.yaml'), pipeline(4));
  await fs.writeFile(path.join(tmp, 'wrong.yaml'), pipeline(8).replace('init-tiny', 'init-wrong'));
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('model.init_from', () => {
  it('an evaluate-only pipeline scores the imported generator; predict on the .pth gives the same PNGs', async () => {
    const r = await pipe('run', 'p.yaml', '--backend', 'wasm', '--progress', 'none');
    expect(r.exitCode, r.all).toBe(0);
    const run = await fs.realpath(path.join(tmp, 'runs/init-tiny/latest'));
    const train = JSON.parse(await fs.readFile(path.join(run, 'stages/train/base/output/train.json'), 'utf8'));
    expect(train.initFrom.sha256).toMatch(/^[0-9a-f]{64}$/);
    const p = await pipe(
      'predict',
      'official/latest_net_G.pth',
      ...VAL,
      '--size',
      '32',
      '--layout',
      'aligned',
      '-o',
      'out',
      '--backend',
      'wasm',
    );
    expect(p.exitCode, p.all).toBe(0);
    for (const n of [1, 2, 3]) {
      const ours = await fs.readFile(path.join(tmp, 'out', `${n}.png`));
      expect(
        ours.equals(await fs.readFile(path.join(run, 'stages/evaluate/base/output/images/AtoB', `${n}.png`))),
        `${n}.png`,
      ).toBe(true);
    }
  }, 90_000);

  it('the file bytes are part of the train fingerprint', async () => {
    const before = await pipe('plan', 'p.yaml');
    expect(before.stdout).toMatch(/train\/base\s+\w+\s+cached/);
    const file = path.join(tmp, 'official/latest_net_G.pth');
    const bytes = await fs.readFile(file);
    await fs.writeFile(file, Buffer.concat([bytes, Buffer.from([0])]));
    const after = await pipe('plan', 'p.yaml');
    expect(after.stdout).toMatch(/train\/base\s+\w+\s+run\s+input files changed: latest_net_G\.pth/);
    await fs.writeFile(file, bytes);
  }, 60_000);

  it('a pipeline whose generator does not fit the file fails naming the tensor and the file', async () => {
    const r = await pipe('run', 'wrong.yaml', '--backend', 'wasm', '--progress', 'plain', '--no-checks');
    expect(r.exitCode).toBe(1);
    const log = await fs.readFile(
      path.join(await fs.realpath(path.join(tmp, 'runs/init-wrong/latest')), 'logs/train/base.log'),
      'utf8',
    );
    expect(log).toMatch(
      /latest_net_G\.pth \(model\.init_from\) does not fit the generator: model\.1\.weight has shape \[4, 3, 7, 7\], the generator needs \[8, 3, 7, 7\]/,
    );
  }, 60_000);
});
