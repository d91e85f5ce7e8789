import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultDownloadDir, fetchVerified } from './download.js';

const payload = randomBytes(300_000);
const digest = createHash('sha256').update(payload).digest('hex');
let server: http.Server;
let base: string;
let requests = 0;
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-dl-'));
  server = http.createServer((req, res) => {
    requests++;
    if (req.url === '/stall.bin') {
      // Headers and a first chunk, then silence.
      res.writeHead(200, { 'content-length': 1000 });
      res.write(Buffer.alloc(10));
    } else if (req.url === '/file.bin') {
      res.writeHead(200, { 'content-length': payload.length });
      res.end(payload);
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('fetchVerified', () => {
  it('downloads with progress, verifies, then serves the cached copy without the network', async () => {
    const dir = path.join(tmp, 'cache1');
    const seen: number[] = [];
    let total: number | undefined;
    const got = await fetchVerified({
      url: `${base}/file.bin`,
      sha256: digest,
      downloadDir: dir,
      onProgress: (b, t) => {
        seen.push(b);
        total = t;
      },
    });
    expect(got).toEqual({ path: path.join(dir, 'file.bin'), sha256: digest, source: 'download' });
    expect(Buffer.compare(await fs.readFile(got.path), payload)).toBe(0);
    expect(total).toBe(payload.length);
    expect(seen.at(-1)).toBe(payload.length);
    expect(await fs.readdir(dir)).toEqual(['file.bin']);

    const before = requests;
    const again = await fetchVerified({ url: `${base}/file.bin`, sha256: digest, downloadDir: dir });
    expect(again.source).toBe('cache');
    expect(requests).toBe(before);
  });

  it('prefers a mirror copy and checks its digest', async () => {
    const mirror = path.join(tmp, 'mirror.bin');
    await fs.writeFile(mirror, payload);
    const before = requests;
    const got = await fetchVerified({
      url: `${base}/file.bin`,
      sha256: digest,
      downloadDir: path.join(tmp, 'unused'),
      mirrorCandidates: [path.join(tmp, 'absent.bin'), mirror],
    });
    expect(got).toMatchObject({ path: mirror, source: 'mirror' });
    expect(requests).toBe(before);

    const wrong = path.join(tmp, 'wrong.bin');
    await fs.writeFile(wrong, 'not the file');
    await expect(
      fetchVerified({ url: `${base}/file.bin`, sha256: digest, mirrorCandidates: [wrong], downloadDir: tmp }),
    ).rejects.toThrow(/wrong\.bin has sha256 [0-9a-f]{64}, expected/);
  });

  it('deletes a download whose digest does not match and names url, expected and actual', async () => {
    const dir = path.join(tmp, 'cache2');
    const bad = 'a'.repeat(64);
    const err = await fetchVerified({ url: `${base}/file.bin`, sha256: bad, downloadDir: dir }).catch((e) => e);
    expect(err.code).toBe('PIPE_DIGEST_MISMATCH');
    expect(err.message).toContain(`${base}/file.bin`);
    expect(err.message).toContain(bad);
    expect(err.message).toContain(digest);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('explains where it looked on 404 and on a refused connection', async () => {
    const dir = path.join(tmp, 'cache3');
    const e404 = await fetchVerified({
      url: `${base}/missing.tar.gz`,
      downloadDir: dir,
      mirrorCandidates: ['/nonexistent/mirror/missing.tar.gz'],
      what: 'dataset "x"',
      provideHint: 'place missing.tar.gz in the folder given by --data-dir',
    }).catch((e) => e);
    expect(e404.code).toBe('PIPE_DOWNLOAD_FAILED');
    expect(e404.message).toMatch(/dataset "x".*\/nonexistent\/mirror\/missing\.tar\.gz.*HTTP 404.*--data-dir/s);
    expect(await fs.readdir(dir)).toEqual([]);

    // A port that was just free: nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const refused = await fetchVerified({ url: `http://127.0.0.1:${port}/f.bin`, downloadDir: dir }).catch((e) => e);
    expect(refused.code).toBe('PIPE_DOWNLOAD_FAILED');
    expect(refused.message).toMatch(/ECONNREFUSED/);
    expect(refused.message).toContain(path.join(dir, 'f.bin'));
  });

  it('gives up on a download that stalls', async () => {
    const dir = path.join(tmp, 'cache4');
    const err = await fetchVerified({ url: `${base}/stall.bin`, downloadDir: dir, idleTimeoutMs: 300 }).catch((e) => e);
    expect(err.code).toBe('PIPE_DOWNLOAD_FAILED');
    expect(err.message).toMatch(/no data for 0\.3 s/);
    expect(await fs.readdir(dir)).toEqual([]);
  });

  it('takes the download folder from PIPE_DOWNLOAD_DIR', () => {
    expect(defaultDownloadDir({ PIPE_DOWNLOAD_DIR: '/x/y' })).toBe('/x/y');
    expect(defaultDownloadDir({ HOME: '/h', XDG_CACHE_HOME: '/c' })).toBe('/c/pipe');
  });
});
