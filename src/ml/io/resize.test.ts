import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_DIR } from '../../../test/shared-paths.js';
import { resizeBicubic } from './resize.js';

// References from Pillow's Image.resize(BICUBIC); see test/fixtures/data/make_resize_fixture.py.
interface Img {
  width: number;
  height: number;
  data: string;
}
const fixture = JSON.parse(fs.readFileSync(path.join(REPO_DIR, 'test/fixtures/data/resize-pil.json'), 'utf8')) as {
  cases: (Img & { name: string; outputs: Img[] })[];
};
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

describe('resizeBicubic matches Pillow BICUBIC', () => {
  for (const c of fixture.cases) {
    for (const o of c.outputs) {
      it(`${c.name} -> ${o.width}x${o.height}`, () => {
        const got = resizeBicubic({ width: c.width, height: c.height, data: bytes(c.data) }, o.width, o.height);
        const want = bytes(o.data);
        expect([got.width, got.height]).toEqual([o.width, o.height]);
        let maxDiff = 0;
        let exact = 0;
        for (let i = 0; i < want.length; i++) {
          const d = Math.abs(got.data[i] - want[i]);
          maxDiff = Math.max(maxDiff, d);
          if (d === 0) exact++;
        }
        expect(maxDiff).toBeLessThanOrEqual(1);
        expect(exact / want.length).toBeGreaterThan(0.99);
      });
    }
  }

  it('returns a copy when the size does not change', () => {
    const img = { width: 2, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
    const out = resizeBicubic(img, 2, 1);
    expect(Array.from(out.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out.data).not.toBe(img.data);
  });
});
