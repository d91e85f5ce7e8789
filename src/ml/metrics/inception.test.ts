// The FID Inception-v3 against a PyTorch twin of pytorch-fid's network on generated weights of its file layout;
// fixture and script: test/fixtures/fid/{reference.json,make_reference.py}.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticNamedStateDict } from '../../../test/fixtures/backbones/synthetic.js';
import { REPO_DIR, SHARED_WEIGHTS_DIR } from '../../../test/shared-paths.js';
import { initBackend } from '../backend.js';
import { encodeTorchZip } from '../weights/readers/torch-writer.js';
import { FID_FEATURES, inceptionStateDictShapes, loadFidInception } from './inception.js';

interface Ref {
  n: number;
  step: number;
  values: number[];
  absmax: number;
}
const ref = JSON.parse(await fs.readFile(path.join(REPO_DIR, 'test/fixtures/fid/reference.json'), 'utf8')) as Record<
  string,
  Ref
> & {
  inception_layout: Record<string, number[]>;
};
const input = JSON.parse(await fs.readFile(path.join(REPO_DIR, 'test/fixtures/backbones/reference.json'), 'utf8'))
  .input as {
  height: number;
  width: number;
  rgb_base64: string;
};

const FID_FILE = 'pt_inception-2015-12-05-6726825d.pth';
const FID_URL = `https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/${FID_FILE}`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

let tmp: string;
beforeAll(async () => {
  await initBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-inception-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function expectClose(got: Float32Array, r: Ref, what: string) {
  expect(got.length).toBe(r.n);
  let worst = 0;
  r.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(got[i * r.step]! - v))));
  expect(worst / r.absmax, `${what}: max error ${worst} vs scale ${r.absmax}`).toBeLessThan(1e-4);
}

describe('FID Inception-v3', () => {
  it("reads exactly pytorch-fid's state-dict keys and shapes (fc aside)", () => {
    expect(Object.fromEntries(inceptionStateDictShapes())).toEqual(ref.inception_layout);
  });

  it("gives the PyTorch twin's 2048-d pool features, resizing a 37x45 crop and a 299x299 image", async () => {
    const file = path.join(tmp, 'pt_inception-synthetic.pth');
    await fs.writeFile(file, encodeTorchZip(syntheticNamedStateDict(inceptionStateDictShapes())));
    const net = await loadFidInception({ file });
    await fs.rm(file);
    const rgb = Buffer.from(input.rgb_base64, 'base64');
    const crop = tf.tidy(
      () => tf.div(tf.tensor4d(Float32Array.from(rgb), [1, input.height, input.width, 3]), 255) as tf.Tensor4D,
    );
    const fCrop = net.features(crop);
    expect(fCrop.shape).toEqual([1, FID_FEATURES]);
    expectClose(fCrop.dataSync() as Float32Array, ref.inception_crop37x45!, 'crop 37x45');
    // pattern in make_reference.py: (y/298, x/298, 0.5 + 0.5 sin(0.05 (x + 2y))).
    const pat = new Float32Array(299 * 299 * 3);
    for (let y = 0; y < 299; y++)
      for (let x = 0; x < 299; x++)
        pat.set([y / 298, x / 298, 0.5 + 0.5 * Math.sin(0.05 * (x + 2 * y))], (y * 299 + x) * 3);
    const p = tf.tensor4d(pat, [1, 299, 299, 3]);
    const fPat = net.features(p);
    expectClose(fPat.dataSync() as Float32Array, ref.inception_pattern299!, 'pattern 299');
    tf.dispose([crop, fCrop, p, fPat]);
    net.dispose();
  }, 120_000);

  it('names the pytorch-fid file, its URL and where to put it when the weights are missing', async () => {
    await expect(
      loadFidInception({ weightsDir: SHARED_WEIGHTS_DIR, downloadDir: tmp, offline: true }),
    ).rejects.toMatchObject({
      code: 'PIPE_WEIGHTS_MISSING',
      message: expect.stringMatching(new RegExp(`${esc(FID_URL)}.*put it at .*${esc(FID_FILE)}`)),
    });
  });
});
