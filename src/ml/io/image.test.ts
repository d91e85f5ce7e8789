import { createHash } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_DIR, SHARED_DATA_DIR } from '../../../test/shared-paths.js';
import { cropImage, decodeImage, encodePng, readImage, unitRangeToRgb, writePng } from './image.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-img-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

// sha256 of Pillow's RGB decode; see test/fixtures/data/make_jpeg_fixture.py.
const pil = JSON.parse(fsSync.readFileSync(path.join(REPO_DIR, 'test/fixtures/data/jpeg-pil.json'), 'utf8')) as {
  images: Record<string, { width: number; height: number; rgbSha256: string }>;
};

describe('image codecs', () => {
  it('decodes JPEGs bit-identically to Pillow (libjpeg-turbo)', async () => {
    for (const [file, want] of Object.entries(pil.images)) {
      const img = await readImage(path.join(SHARED_DATA_DIR, file));
      expect([file, img.width, img.height]).toEqual([file, want.width, want.height]);
      expect([file, createHash('sha256').update(img.data).digest('hex')]).toEqual([file, want.rgbSha256]);
    }
  });

  it('decodes the real facades and summer2winter JPEGs to RGB', async () => {
    const ab = await readImage(path.join(SHARED_DATA_DIR, 'facades/test/1.jpg'));
    expect([ab.width, ab.height, ab.data.length]).toEqual([512, 256, 512 * 256 * 3]);
    const s = await readImage(path.join(SHARED_DATA_DIR, 'summer2winter_yosemite/trainA/0001.jpg'));
    expect([s.width, s.height]).toEqual([256, 256]);
    // Not a blank decode: real photos spread over many grey levels.
    expect(new Set(s.data).size).toBeGreaterThan(200);
  });

  it('round-trips RGB through PNG and writes atomically', async () => {
    const img = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 13) };
    const file = path.join(tmp, 'x.png');
    await writePng(file, img);
    expect(await fs.readdir(tmp)).toContain('x.png');
    expect((await fs.readdir(tmp)).some((f) => f.includes('.tmp-'))).toBe(false);
    const back = await readImage(file);
    expect(back).toEqual({ width: 3, height: 2, data: img.data });
  });

  it('drops alpha and expands grey PNGs', async () => {
    const rgba = new PNG({ width: 2, height: 1 });
    rgba.data = Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]);
    const a = await decodeImage(PNG.sync.write(rgba), 'rgba.png');
    expect(Array.from(a.data)).toEqual([10, 20, 30, 40, 50, 60]);

    const grey = new PNG({ width: 2, height: 1 });
    grey.data = Buffer.from([7, 7, 7, 255, 200, 200, 200, 255]);
    const g = await decodeImage(PNG.sync.write(grey, { colorType: 0 }), 'grey.png');
    expect(Array.from(g.data)).toEqual([7, 7, 7, 200, 200, 200]);
  });

  it('names the file when an image is corrupt, foreign or missing', async () => {
    const real = await fs.readFile(path.join(SHARED_DATA_DIR, 'facades/test/2.jpg'));
    const truncated = path.join(tmp, 'truncated.jpg');
    await fs.writeFile(truncated, real.subarray(0, 600));
    const e1 = await readImage(truncated).catch((e) => e);
    expect(e1.code).toBe('PIPE_IMAGE_UNREADABLE');
    expect(e1.message).toContain(truncated);
    // Cut mid-scan: libjpeg would pad with grey; like Pillow, refuse it.
    const half = path.join(tmp, 'half.jpg');
    await fs.writeFile(half, real.subarray(0, real.length >> 1));
    await expect(readImage(half)).rejects.toThrow(/half\.jpg: corrupt or unsupported JPEG data \(Premature end/);
    // A good file still decodes after failures.
    expect((await readImage(path.join(SHARED_DATA_DIR, 'facades/test/2.jpg'))).width).toBe(512);

    const text = path.join(tmp, 'notes.png');
    await fs.writeFile(text, 'hello');
    await expect(readImage(text)).rejects.toThrow(/notes\.png: not a JPEG or PNG/);

    const badPng = path.join(tmp, 'bad.png');
    const good = encodePng({ width: 4, height: 4, data: new Uint8Array(48) });
    await fs.writeFile(badPng, good.subarray(0, 30));
    await expect(readImage(badPng)).rejects.toThrow(/bad\.png: corrupt PNG/);

    await expect(readImage(path.join(tmp, 'absent.jpg'))).rejects.toThrow(/absent\.jpg: ENOENT/);
  });

  it('crops and converts [-1,1] outputs like tensor2im', () => {
    const img = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i) };
    expect(Array.from(cropImage(img, 1, 1, 2, 1).data)).toEqual([12, 13, 14, 15, 16, 17]);
    const px = unitRangeToRgb([-1, 0, 1, 2, -0.999, 0.5], 2, 1);
    expect(Array.from(px.data)).toEqual([0, 127, 255, 255, 0, 191]);
  });
});
