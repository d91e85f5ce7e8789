import { createHash } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR, SHARED_DATA_DIR } from '../../../test/shared-paths.js';
import { cropImage, encodePng, readImage } from '../io/image.js';
import { resizeBicubic } from '../io/resize.js';
import { locateDataset } from './locate.js';
import { planFiles, planSources, prepareDataset, type PrepareSpec } from './prepare.js';
import { openPrepared } from './prepared.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-prep-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const opts = (extra: Partial<Parameters<typeof locateDataset>[1]> = {}) => ({
  projectDir: tmp,
  dataDir: SHARED_DATA_DIR,
  downloadDir: path.join(tmp, 'downloads'),
  download: false,
  ...extra,
});

async function prepare(root: string, spec: PrepareSpec, checksums?: Map<string, string>) {
  const out = await fs.mkdtemp(path.join(tmp, 'out-'));
  const plan = await planSources(root, spec);
  const manifest = await prepareDataset(plan, spec, out, { checksums });
  return { out, plan, manifest, ds: await openPrepared(out) };
}

// A small own-folder dataset: aligned pairs written as PNG, plus the files tests break on purpose.
async function ownAligned(dir: string, n: number): Promise<void> {
  for (const split of ['train', 'test']) {
    await fs.mkdir(path.join(dir, split), { recursive: true });
    for (let i = 1; i <= n; i++) {
      const w = 16;
      const h = 8;
      const data = new Uint8Array(w * h * 3);
      for (let p = 0; p < w * h; p++) {
        const left = p % w < 8;
        data.set(left ? [i * 10, 0, 0] : [0, 0, i * 10 + 1], p * 3);
      }
      await fs.writeFile(path.join(dir, split, `${i}.png`), encodePng({ width: w, height: h, data }));
    }
  }
}

describe('dataset preparation', () => {
  it('prepares real facades: max_images, BtoA, Pillow-style resize, natural order', async () => {
    const found = await locateDataset({ source: 'facades', layout: 'aligned' }, opts());
    expect(found?.how).toBe('mirror-folder');
    expect(found!.checksums.size).toBe(606);
    const spec: PrepareSpec = {
      layout: 'aligned',
      direction: 'BtoA',
      loadSize: 40,
      cropSize: 32,
      maxImages: 3,
      trainSplit: 'train',
      evalSplit: 'val',
    };
    const { ds, manifest, plan } = await prepare(found!.root, spec, found!.checksums);
    expect(ds.train.A.names).toEqual(['1.jpg', '2.jpg', '3.jpg']);
    expect(ds.train.A.count).toBe(3);
    expect(ds.eval.A.count).toBe(100);
    expect(ds.eval.A.names.slice(0, 3)).toEqual(['1.jpg', '2.jpg', '3.jpg']);
    expect([ds.train.A.size, ds.eval.B.size, ds.loadSize, ds.cropSize]).toEqual([40, 32, 40, 32]);
    expect(ds.splits.train).toBe(ds.train);
    expect(ds.splits.val).toBe(ds.eval);
    expect(planFiles(plan)).toHaveLength(103);
    expect(manifest.sourceDigest).toMatch(/^[0-9a-f]{64}$/);

    // BtoA: the model input A is the label map, the right half of the source image.
    const ab = await readImage(path.join(found!.root, 'train/2.jpg'));
    const right = resizeBicubic(cropImage(ab, 256, 0, 256, 256), 40, 40);
    const left = resizeBicubic(cropImage(ab, 0, 0, 256, 256), 40, 40);
    expect(Buffer.compare(ds.train.A.get(1), right.data)).toBe(0);
    expect(Buffer.compare(ds.train.B.get(1), left.data)).toBe(0);
    // ...and bit-identical to Pillow's decode + crop + resize(BICUBIC) (test/fixtures/data/make_jpeg_fixture.py).
    const pil = JSON.parse(
      fsSync.readFileSync(path.join(REPO_DIR, 'test/fixtures/data/jpeg-pil.json'), 'utf8'),
    ).resized;
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(sha(ds.train.A.get(1))).toBe(pil['facades/train/2.jpg B 40']);
    expect(sha(ds.train.B.get(1))).toBe(pil['facades/train/2.jpg A 40']);
  });

  it('prepares real summer2winter (unaligned): counts per domain, direction swaps the folders', async () => {
    const found = await locateDataset({ source: 'summer2winter_yosemite', layout: 'unaligned' }, opts());
    const spec: PrepareSpec = {
      layout: 'unaligned',
      direction: 'AtoB',
      loadSize: 36,
      cropSize: 32,
      maxImages: 4,
      trainSplit: 'train',
      evalSplit: 'test',
    };
    const { ds } = await prepare(found!.root, spec);
    expect(ds.layout).toBe('unaligned');
    expect([ds.train.A.count, ds.train.B.count, ds.eval.A.count, ds.eval.B.count]).toEqual([4, 4, 100, 100]);
    expect(ds.train.A.names[0]).toBe('0001.jpg');
  });

  it('swaps the unaligned folders for BtoA', async () => {
    const dir = path.join(tmp, 'unpaired');
    for (const [folder, value] of [
      ['trainA', 10],
      ['trainB', 200],
      ['testA', 11],
      ['testB', 201],
    ] as const) {
      await fs.mkdir(path.join(dir, folder), { recursive: true });
      const n = folder.endsWith('A') ? 3 : 2;
      for (let i = 0; i < n; i++)
        await fs.writeFile(
          path.join(dir, folder, `${i}.png`),
          encodePng({ width: 4, height: 4, data: new Uint8Array(48).fill(value + i) }),
        );
    }
    const spec: PrepareSpec = {
      layout: 'unaligned',
      direction: 'BtoA',
      loadSize: 4,
      cropSize: 4,
      maxImages: null,
      trainSplit: 'train',
      evalSplit: 'test',
    };
    const { ds } = await prepare(dir, spec);
    expect([ds.train.A.count, ds.train.B.count, ds.eval.A.count, ds.eval.B.count]).toEqual([2, 3, 2, 3]);
    expect([ds.train.A.get(1)[0], ds.train.B.get(2)[0], ds.eval.A.get(0)[0], ds.eval.B.get(0)[0]]).toEqual([
      201, 12, 201, 11,
    ]);
  });

  it('reads an own folder given by path:, relative to the pipeline folder', async () => {
    await ownAligned(path.join(tmp, 'mydata'), 3);
    const found = await locateDataset({ path: 'mydata', layout: 'aligned' }, opts());
    expect(found).toMatchObject({ root: path.join(tmp, 'mydata'), how: 'path' });
    const spec: PrepareSpec = {
      layout: 'aligned',
      direction: 'AtoB',
      loadSize: 8,
      cropSize: 8,
      maxImages: null,
      trainSplit: 'train',
      evalSplit: 'test',
    };
    const { ds } = await prepare(found!.root, spec);
    expect(ds.train.A.count).toBe(3);
    // 8x8 halves at load_size 8: no resize, A is the red left half, B the blue right half.
    expect(Array.from(ds.train.A.get(2).subarray(0, 3))).toEqual([30, 0, 0]);
    expect(Array.from(ds.train.B.get(2).subarray(0, 3))).toEqual([0, 0, 31]);

    await expect(locateDataset({ path: 'nowhere', layout: 'aligned' }, opts())).rejects.toThrow(
      /Dataset folder .*nowhere .*does not exist.*train\/ and test\//,
    );
    const huge = { ...spec, loadSize: 40_000 };
    await expect(prepareDataset(await planSources(found!.root, huge), huge, tmp)).rejects.toThrow(
      /would need 13\.4 GiB.*dataset\.max_images/,
    );
    await expect(planSources(found!.root, { ...spec, evalSplit: 'val' })).rejects.toThrow(
      /has no evaluation split folder val\/ \(it has: test, train\)/,
    );
  });

  it('names a corrupt image and a file that contradicts SHA256SUMS', async () => {
    const dir = path.join(tmp, 'broken');
    await ownAligned(dir, 2);
    await fs.writeFile(path.join(dir, 'train', '2.png'), 'garbage');
    const spec: PrepareSpec = {
      layout: 'aligned',
      direction: 'AtoB',
      loadSize: 8,
      cropSize: 8,
      maxImages: null,
      trainSplit: 'train',
      evalSplit: 'test',
    };
    const err = await prepare(dir, spec).catch((e) => e);
    expect(err.code).toBe('PIPE_IMAGE_UNREADABLE');
    expect(err.message).toContain(path.join(dir, 'train', '2.png'));

    const sums = new Map([[path.join(dir, 'train', '1.png'), '0'.repeat(64)]]);
    const bad = await prepare(dir, { ...spec, maxImages: 1 }, sums).catch((e) => e);
    expect(bad.code).toBe('PIPE_DIGEST_MISMATCH');
    expect(bad.message).toContain(path.join(dir, 'train', '1.png'));
  });

  it('does not touch the network when asked only for local files, and names where it looked', async () => {
    const none = await locateDataset({ source: 'horse2zebra', layout: 'unaligned' }, opts());
    expect(none).toBeUndefined();
    await expect(locateDataset({ source: 'no_such', layout: 'aligned' }, opts())).rejects.toThrow(
      /Unknown dataset "no_such".*facades/,
    );
  });
});
