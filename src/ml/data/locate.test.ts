import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../io/image.js';
import { locateDataset } from './locate.js';
import type { DatasetEntry } from './registry.js';

// A tiny CycleGAN-style archive served from 127.0.0.1, standing in for the official server.
const png = encodePng({ width: 2, height: 2, data: new Uint8Array(12).fill(9) });
const zip = zipSync({
  'tiny/trainA/1.png': png,
  'tiny/trainB/1.png': png,
  'tiny/testA/1.png': png,
  'tiny/testB/1.png': png,
});
let server: http.Server;
let base: string;
let tmp: string;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-locate-'));
  server = http.createServer((req, res) => {
    if (req.url === '/tiny.zip') res.end(Buffer.from(zip));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await fs.rm(tmp, { recursive: true, force: true });
});

const entry = (url: string): Record<string, DatasetEntry> => ({
  tiny: {
    name: 'tiny',
    layout: 'unaligned',
    url,
    folder: 'tiny',
    splits: ['trainA', 'trainB', 'testA', 'testB'],
    usualDirection: 'AtoB',
    description: 'test',
  },
});

describe('locateDataset', () => {
  it('downloads and unpacks a registry archive once, then finds the unpacked copy', async () => {
    const downloadDir = path.join(tmp, 'dl');
    const progress: number[] = [];
    const opts = {
      projectDir: tmp,
      downloadDir,
      registry: entry(`${base}/tiny.zip`),
      onProgress: (b: number) => progress.push(b),
    };
    expect(await locateDataset({ source: 'tiny', layout: 'unaligned' }, { ...opts, download: false })).toBeUndefined();
    const got = await locateDataset({ source: 'tiny', layout: 'unaligned' }, { ...opts, download: true });
    expect(got).toMatchObject({ how: 'download', root: path.join(downloadDir, 'datasets', 'tiny', 'tiny') });
    expect(progress.at(-1)).toBe(zip.length);
    expect(await fs.readdir(path.join(got!.root, 'trainA'))).toEqual(['1.png']);
    const again = await locateDataset({ source: 'tiny', layout: 'unaligned' }, { ...opts, download: false });
    expect(again).toMatchObject({ how: 'extracted-cache', root: got!.root });
  });

  it('takes an archive from the mirror folder without the network', async () => {
    const dataDir = path.join(tmp, 'mirror');
    await fs.mkdir(dataDir, { recursive: true });
    await fs.writeFile(path.join(dataDir, 'tiny.zip'), zip);
    const got = await locateDataset(
      { source: 'tiny', layout: 'unaligned' },
      {
        projectDir: tmp,
        dataDir,
        downloadDir: path.join(tmp, 'dl2'),
        download: true,
        registry: entry(`${base}/missing/tiny.zip`),
      },
    );
    expect(got?.how).toBe('mirror-archive');
  });

  it('offline: one message naming every place it looked and how to provide the files', async () => {
    const dataDir = path.join(tmp, 'empty-mirror');
    await fs.mkdir(dataDir, { recursive: true });
    const err = await locateDataset(
      { source: 'tiny', layout: 'unaligned' },
      {
        projectDir: tmp,
        dataDir,
        downloadDir: path.join(tmp, 'dl3'),
        download: true,
        registry: entry(`${base}/gone/tiny.zip`),
      },
    ).catch((e) => e);
    expect(err.code).toBe('PIPE_DOWNLOAD_FAILED');
    for (const part of [
      `${dataDir}/tiny/`,
      path.join(tmp, 'dl3', 'datasets', 'tiny/'),
      path.join(dataDir, 'tiny.zip'),
      `${base}/gone/tiny.zip`,
      'HTTP 404',
      'dataset.path',
    ])
      expect(err.message).toContain(part);
    expect(err.message).not.toContain('\n');
  });
});

describe('registry checks', () => {
  it('rejects a layout that does not match the named dataset', async () => {
    const { datasetSourceProblem } = await import('./registry.js');
    expect(datasetSourceProblem('facades', 'aligned')).toBeUndefined();
    expect(datasetSourceProblem('facades', 'unaligned')).toMatch(/set dataset.layout: aligned/);
    expect(datasetSourceProblem('nope', 'aligned')).toMatch(/unknown dataset "nope".*summer2winter_yosemite/);
    await expect(
      locateDataset(
        { source: 'summer2winter_yosemite', layout: 'aligned' },
        { projectDir: tmp, downloadDir: tmp, download: false },
      ),
    ).rejects.toThrow(/is unaligned, but dataset.layout is "aligned"/);
  });
});
