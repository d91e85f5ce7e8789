// Issue 14 §2: decoders and archives have limits. Pixels are checked from the header before decoding,
// files are read only when regular and under a size cap, extraction stops at per-member, total and
// ratio limits, and setuid/setgid bits never survive extraction. Each limit is an error naming the file.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, readImage } from '../../src/ml/io/image.js';
import { extractArchive } from '../../src/ml/io/archive.js';
import { cli, expectNoTrace } from './cli-harness.js';
import { tarEntry } from './case-builders.js';

let tmp: string;
const savedEnv = { ...process.env };
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-limits-'));
});
afterAll(async () => fs.rm(tmp, { recursive: true, force: true }));
afterEach(() => {
  process.env = { ...savedEnv };
});

function pngBytes(w: number, h: number): Buffer {
  const png = new PNG({ width: w, height: h });
  png.data.fill(128);
  return PNG.sync.write(png);
}

/** A PNG whose header declares w×h but carries (almost) no pixel data: what a decompression bomb starts with. */
function pngHeaderOnly(w: number, h: number): Buffer {
  const real = pngBytes(1, 1);
  const out = Buffer.from(real);
  out.writeUInt32BE(w, 16);
  out.writeUInt32BE(h, 20);
  return out;
}

function jpegBytes(w: number, h: number): Buffer {
  return jpeg.encode({ width: w, height: h, data: Buffer.alloc(w * h * 4, 200) }, 90).data;
}

describe('image pixel limit (from the header, before decoding)', () => {
  it('refuses a PNG declaring 30000x30000, naming the file, the size and PIPE_MAX_PIXELS', async () => {
    const err = (await decodeImage(pngHeaderOnly(30000, 30000), 'bomb.png').catch((e: unknown) => e)) as Error & {
      code?: string;
    };
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('PIPE_IMAGE_TOO_LARGE');
    expect(err.message).toMatch(/bomb\.png.*30000×30000.*PIPE_MAX_PIXELS/s);
  });

  it('refuses a JPEG whose frame header declares 60000x60000', async () => {
    const bytes = jpegBytes(16, 16);
    const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
    bytes.writeUInt16BE(60000, sof + 5);
    bytes.writeUInt16BE(60000, sof + 7);
    await expect(decodeImage(bytes, 'big.jpg')).rejects.toMatchObject({ code: 'PIPE_IMAGE_TOO_LARGE' });
  });

  it('PIPE_MAX_PIXELS lowers the limit for PNG and JPEG; under it images decode as before', async () => {
    process.env.PIPE_MAX_PIXELS = '1000';
    await expect(decodeImage(pngBytes(64, 64), 'a.png')).rejects.toMatchObject({ code: 'PIPE_IMAGE_TOO_LARGE' });
    await expect(decodeImage(jpegBytes(64, 64), 'a.jpg')).rejects.toMatchObject({ code: 'PIPE_IMAGE_TOO_LARGE' });
    const ok = await decodeImage(pngBytes(16, 16), 'b.png');
    expect([ok.width, ok.height]).toEqual([16, 16]);
  });
});

describe('bounded file reads', () => {
  it(
    'pipe metrics on a FIFO or /dev/zero refuses at once (not a regular file), exit 1',
    { timeout: 10_000 },
    async () => {
      const fifo = path.join(tmp, 'fifo.png');
      execFileSync('mkfifo', [fifo]);
      const png = path.join(tmp, 'x.png');
      await fs.writeFile(png, pngBytes(8, 8));
      for (const bad of [fifo, '/dev/zero']) {
        const r = await cli('metrics', bad, png, '--no-lpips');
        expect(r.code, r.err).toBe(1);
        expect(r.err).toContain(bad);
        expect(r.err).toMatch(/not a regular file|is a (pipe|device)/);
        expect(expectNoTrace(r.err)).toBe(true);
      }
    },
  );

  it('an image file over PIPE_MAX_IMAGE_BYTES is refused before it is read', async () => {
    process.env.PIPE_MAX_IMAGE_BYTES = '100';
    const file = path.join(tmp, 'big.png');
    await fs.writeFile(file, pngBytes(32, 32));
    await expect(readImage(file)).rejects.toMatchObject({ code: 'PIPE_FILE_TOO_LARGE' });
  });
});

const tarGz = (...entries: Buffer[]) => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));

describe('archive extraction limits', () => {
  let n = 0;
  const dest = () => path.join(tmp, `out-${n++}`);
  const exists = (p: string) =>
    fs.stat(p).then(
      () => true,
      () => false,
    );

  it('refuses a zip whose member unpacks far beyond its packed size (ratio), leaving nothing behind', async () => {
    const zip = path.join(tmp, 'bomb.zip');
    await fs.writeFile(zip, zipSync({ 'data/zeros.bin': new Uint8Array(4 * 1024 * 1024) }));
    const out = dest();
    const err = (await extractArchive(zip, out).catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe('PIPE_ARCHIVE_TOO_LARGE');
    expect(err.message).toMatch(/bomb\.zip.*data\/zeros\.bin.*PIPE_MAX_ARCHIVE_RATIO/s);
    expect(await exists(out)).toBe(false);
    expect((await fs.readdir(tmp)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('refuses a zip member over PIPE_MAX_ARCHIVE_MEMBER_BYTES and a zip over PIPE_MAX_ARCHIVE_BYTES', async () => {
    process.env.PIPE_MAX_ARCHIVE_MEMBER_BYTES = '1000';
    const zip = path.join(tmp, 'member.zip');
    await fs.writeFile(zip, zipSync({ 'a.bin': new Uint8Array(randomBytes(2000)) }, { level: 0 }));
    await expect(extractArchive(zip, dest())).rejects.toMatchObject({
      code: 'PIPE_ARCHIVE_TOO_LARGE',
      message: expect.stringMatching(/a\.bin.*PIPE_MAX_ARCHIVE_MEMBER_BYTES/s),
    });
    delete process.env.PIPE_MAX_ARCHIVE_MEMBER_BYTES;
    process.env.PIPE_MAX_ARCHIVE_BYTES = '3000';
    const total = path.join(tmp, 'total.zip');
    await fs.writeFile(
      total,
      zipSync({ 'a.bin': new Uint8Array(randomBytes(2000)), 'b.bin': new Uint8Array(randomBytes(2000)) }, { level: 0 }),
    );
    await expect(extractArchive(total, dest())).rejects.toMatchObject({
      code: 'PIPE_ARCHIVE_TOO_LARGE',
      message: expect.stringMatching(/PIPE_MAX_ARCHIVE_BYTES/),
    });
  });

  it('refuses a tar.gz bomb and a tar member over the member limit', async () => {
    const bomb = path.join(tmp, 'bomb.tar.gz');
    await fs.writeFile(bomb, tarGz(tarEntry('zeros.bin', Buffer.alloc(4 * 1024 * 1024))));
    await expect(extractArchive(bomb, dest())).rejects.toMatchObject({ code: 'PIPE_ARCHIVE_TOO_LARGE' });
    // Ratio ~300: under node-tar's own 1000 guard, over PIPE_MAX_ARCHIVE_RATIO's 200.
    const mixed = path.join(tmp, 'mixed.tar.gz');
    await fs.writeFile(
      mixed,
      tarGz(tarEntry('mixed.bin', Buffer.concat([Buffer.alloc(4 * 1024 * 1024), randomBytes(12_000)]))),
    );
    await expect(extractArchive(mixed, dest())).rejects.toMatchObject({
      code: 'PIPE_ARCHIVE_TOO_LARGE',
      message: expect.stringMatching(/mixed\.bin.*PIPE_MAX_ARCHIVE_RATIO/s),
    });
    process.env.PIPE_MAX_ARCHIVE_MEMBER_BYTES = '1000';
    const big = path.join(tmp, 'member.tar.gz');
    await fs.writeFile(big, tarGz(tarEntry('a.bin', randomBytes(2000))));
    await expect(extractArchive(big, dest())).rejects.toMatchObject({
      code: 'PIPE_ARCHIVE_TOO_LARGE',
      message: expect.stringMatching(/a\.bin/),
    });
  });

  it('strips setuid/setgid bits from extracted files', async () => {
    const arch = path.join(tmp, 'suid.tar.gz');
    await fs.writeFile(arch, tarGz(tarEntry('bin/tool', Buffer.from('#!/bin/sh\n'), 0o6755)));
    const out = dest();
    await extractArchive(arch, out);
    const mode = (await fs.stat(path.join(out, 'bin/tool'))).mode;
    expect(mode & 0o6000).toBe(0);
  });
});
