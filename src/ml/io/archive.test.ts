import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractArchive, safeMemberPath } from './archive.js';

// A ustar archive written by hand, so that it can hold the hostile member names real tools refuse to write.
function tarBytes(entries: { name: string; data?: string; type?: '0' | '2' | '5'; link?: string }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const data = Buffer.from(e.data ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(e.type ?? '0', 156);
    if (e.link) h.write(e.link, 157, 100, 'utf8');
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-arch-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function listFiles(dir: string): Promise<string[]> {
  const out = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return out
    .filter((d) => d.isFile() || d.isSymbolicLink())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

describe('extractArchive', () => {
  it('unpacks a tar.gz and skips traversal, absolute paths and links', async () => {
    const archive = path.join(tmp, 'facades.tar.gz');
    await fs.writeFile(
      archive,
      gzipSync(
        tarBytes([
          { name: 'facades/', type: '5' },
          { name: 'facades/train/1.jpg', data: 'one' },
          { name: 'facades/test/2.jpg', data: 'two' },
          { name: '../evil.txt', data: 'x' },
          { name: 'facades/../../evil2.txt', data: 'x' },
          { name: '/tmp/evil3.txt', data: 'x' },
          { name: 'facades/link', type: '2', link: '/etc/passwd' },
        ]),
      ),
    );
    const dest = path.join(tmp, 'out-tar');
    const n = await extractArchive(archive, dest);
    expect(n).toBe(2);
    expect(await listFiles(dest)).toEqual(['facades/test/2.jpg', 'facades/train/1.jpg']);
    expect(await fs.readFile(path.join(dest, 'facades/train/1.jpg'), 'utf8')).toBe('one');
    expect((await fs.readdir(tmp)).filter((f) => f.includes('evil'))).toEqual([]);
  });

  it('unpacks a zip and skips traversal', async () => {
    const archive = path.join(tmp, 's2w.zip');
    const enc = (s: string) => new TextEncoder().encode(s);
    await fs.writeFile(
      archive,
      zipSync({
        'summer2winter_yosemite/trainA/a.jpg': enc('a'.repeat(5000)),
        'summer2winter_yosemite/testB/b.jpg': [enc('b'), { level: 0 }],
        '../evil.txt': enc('x'),
      }),
    );
    const dest = path.join(tmp, 'out-zip');
    expect(await extractArchive(archive, dest)).toBe(2);
    expect(await listFiles(dest)).toEqual([
      'summer2winter_yosemite/testB/b.jpg',
      'summer2winter_yosemite/trainA/a.jpg',
    ]);
    expect(await fs.readFile(path.join(dest, 'summer2winter_yosemite/trainA/a.jpg'), 'utf8')).toBe('a'.repeat(5000));
  });

  it('reports a truncated archive by path and leaves nothing behind', async () => {
    const archive = path.join(tmp, 'broken.tar.gz');
    // Cut in the middle of the second member: the first was already written when the error surfaces.
    const noise = () => randomBytes(100_000).toString('latin1');
    const full = gzipSync(
      tarBytes([
        { name: 'x/1.jpg', data: noise() },
        { name: 'x/2.jpg', data: noise() },
        { name: 'x/3.jpg', data: noise() },
      ]),
    );
    await fs.writeFile(archive, full.subarray(0, Math.floor(full.length / 2)));
    const dest = path.join(tmp, 'out-broken');
    const err = await extractArchive(archive, dest).catch((e) => e);
    expect(err.code).toBe('PIPE_ARCHIVE_UNREADABLE');
    expect(err.message).toContain(archive);
    expect((await fs.readdir(tmp)).filter((f) => f.startsWith('out-broken'))).toEqual([]);
  });

  it('normalises member paths', () => {
    expect(safeMemberPath('a/./b//c.jpg')).toBe('a/b/c.jpg');
    expect(safeMemberPath('a/../b')).toBeUndefined();
    expect(safeMemberPath('C:\\x')).toBeUndefined();
    expect(safeMemberPath('./')).toBeUndefined();
  });
});
