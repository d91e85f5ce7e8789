import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_WEIGHTS_DIR } from '../../../test/shared-paths.js';
import { loadWeightSet } from './load.js';
import { locateWeights } from './locate.js';
import { WEIGHT_SETS } from './registry.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-weights-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('registry', () => {
  it('records the official file, URL and digest of every weight set', () => {
    for (const set of Object.values(WEIGHT_SETS)) {
      expect(set.official.url).toMatch(/^https:\/\//);
      expect(set.official.url.endsWith(set.official.fileName) || set.id.startsWith('lpips')).toBe(true);
      // torchvision names files after the sha256 prefix; Keras publishes md5.
      if (set.official.url.includes('download.pytorch.org')) {
        expect(set.official.sha256!.startsWith(/-([0-9a-f]{8})\.pth$/.exec(set.official.fileName)![1]!)).toBe(true);
      } else if (set.official.format === 'hdf5') expect(set.official.md5).toMatch(/^[0-9a-f]{32}$/);
      else expect(set.official.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});

describe('locateWeights', () => {
  it('finds each set the shared mirror holds, verified against the official or pinned digest', async () => {
    const heads = await locateWeights('lpips-v0.1-squeeze', { weightsDir: SHARED_WEIGHTS_DIR });
    expect(heads).toMatchObject({
      source: 'mirror',
      format: 'torch',
      sha256: WEIGHT_SETS['lpips-v0.1-squeeze'].official.sha256,
    });
    const sq = await locateWeights('squeezenet1_1-torchvision', { weightsDir: SHARED_WEIGHTS_DIR });
    expect(sq).toMatchObject({ source: 'mirror', format: 'safetensors' });
    const keras = await locateWeights('vgg19-keras', { weightsDir: SHARED_WEIGHTS_DIR });
    expect(keras).toMatchObject({
      source: 'mirror',
      format: 'tfjs',
      file: path.join(SHARED_WEIGHTS_DIR, 'vgg19-keras/model.json'),
    });
  });

  it('honours PIPE_WEIGHTS_DIR when no folder is passed', async () => {
    const saved = process.env.PIPE_WEIGHTS_DIR;
    process.env.PIPE_WEIGHTS_DIR = SHARED_WEIGHTS_DIR;
    try {
      expect((await locateWeights('lpips-v0.1-alex')).source).toBe('mirror');
    } finally {
      if (saved === undefined) delete process.env.PIPE_WEIGHTS_DIR;
      else process.env.PIPE_WEIGHTS_DIR = saved;
    }
  });

  it('stops on a mirror file whose digest is not the official one', async () => {
    const mirror = path.join(tmp, 'bad-mirror');
    await fs.mkdir(path.join(mirror, 'lpips/v0.1'), { recursive: true });
    await fs.writeFile(path.join(mirror, 'lpips/v0.1/vgg.pth'), 'not the published file');
    await expect(locateWeights('lpips-v0.1-vgg', { weightsDir: mirror })).rejects.toMatchObject({
      code: 'PIPE_WEIGHTS_DIGEST_MISMATCH',
      message: expect.stringMatching(/lpips\/v0\.1\/vgg\.pth has sha256 [0-9a-f]{64}, expected a78928a0/),
    });
  });

  it('uses a verified copy in the download cache when the mirror lacks the file', async () => {
    const cache = path.join(tmp, 'cache');
    await fs.mkdir(cache, { recursive: true });
    await fs.copyFile(path.join(SHARED_WEIGHTS_DIR, 'lpips/v0.1/alex.pth'), path.join(cache, 'lpips-v0.1-alex.pth'));
    const got = await locateWeights('lpips-v0.1-alex', {
      weightsDir: path.join(tmp, 'empty'),
      downloadDir: cache,
      offline: true,
    });
    expect(got).toMatchObject({ source: 'cache', file: path.join(cache, 'lpips-v0.1-alex.pth') });
  });

  it('offline and missing: one message naming every place looked and how to provide the file', async () => {
    const mirror = path.join(tmp, 'empty');
    const cache = path.join(tmp, 'cache2');
    const err = await locateWeights('vgg16-torchvision', {
      weightsDir: mirror,
      downloadDir: cache,
      offline: true,
    }).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'PIPE_WEIGHTS_MISSING' });
    const msg = (err as Error).message;
    expect(msg).toContain(path.join(mirror, 'vgg16-397923af.pth'));
    expect(msg).toContain(path.join(mirror, 'vgg16/vgg16.safetensors'));
    expect(msg).toContain(path.join(cache, 'vgg16-397923af.pth'));
    expect(msg).toContain('https://download.pytorch.org/models/vgg16-397923af.pth');
    expect(msg).toMatch(/--weights-dir or PIPE_WEIGHTS_DIR/);
    expect(msg).not.toMatch(/\n/);
  });

  it('downloads into the cache with verification, then serves the cached copy without the network', async () => {
    const good = await fs.readFile(path.join(SHARED_WEIGHTS_DIR, 'lpips/v0.1/squeeze.pth'));
    let requests = 0;
    const server = http.createServer((req, res) => {
      requests++;
      const body =
        req.url === '/lpips-v0.1-squeeze.pth'
          ? good
          : req.url === '/lpips-v0.1-vgg.pth'
            ? Buffer.from('tampered')
            : undefined;
      res.writeHead(body ? 200 : 404, body ? { 'content-length': body.length } : {});
      res.end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const httpMirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const cache = path.join(tmp, 'dl-cache');
      const progress: number[] = [];
      const first = await locateWeights('lpips-v0.1-squeeze', {
        weightsDir: path.join(tmp, 'empty'),
        downloadDir: cache,
        httpMirror,
        onProgress: (b) => progress.push(b),
      });
      expect(first).toMatchObject({
        source: 'download',
        file: path.join(cache, 'lpips-v0.1-squeeze.pth'),
        sha256: WEIGHT_SETS['lpips-v0.1-squeeze'].official.sha256,
      });
      expect(progress.at(-1)).toBe(good.length);
      const second = await locateWeights('lpips-v0.1-squeeze', { downloadDir: cache, httpMirror, offline: true });
      expect(second.source).toBe('cache');
      expect(requests).toBe(1);
      await expect(locateWeights('lpips-v0.1-vgg', { downloadDir: cache, httpMirror })).rejects.toMatchObject({
        code: 'PIPE_DIGEST_MISMATCH',
      });
      expect(await fs.readdir(cache)).toEqual(['lpips-v0.1-squeeze.pth']);
      await expect(locateWeights('lpips-v0.1-alex', { downloadDir: cache, httpMirror })).rejects.toMatchObject({
        code: 'PIPE_WEIGHTS_MISSING',
        message: expect.stringMatching(
          /downloading http:\/\/127\.0\.0\.1:\d+\/lpips-v0\.1-alex\.pth failed \(HTTP 404/,
        ),
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('loadWeightSet reads only the tensors asked for', async () => {
    const w = await loadWeightSet('squeezenet1_1-torchvision', {
      weightsDir: SHARED_WEIGHTS_DIR,
      only: (n) => n.startsWith('features.0.'),
    });
    expect([...w.weights.keys()].sort()).toEqual(['features.0.bias', 'features.0.weight']);
  });
});
