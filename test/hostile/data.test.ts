// Issue 14 §5: data handling keeps its own rules. Offline means no network call at all, split names are
// names, symlinked images are followed (never dropped silently), and a dataset.path that is a file says so.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchVerified } from '../../src/ml/io/download.js';
import { locateDataset } from '../../src/ml/data/locate.js';
import { planFiles, planSources } from '../../src/ml/data/prepare.js';
import type { DatasetEntry } from '../../src/ml/data/registry.js';
import { cli, makeProject, type Project } from './cli-harness.js';

let tmp: string;
let server: http.Server;
let base: string;
let requests = 0;
const saved = { ...process.env };

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-data-'));
  server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(200);
    res.end(randomBytes(100));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await fs.rm(tmp, { recursive: true, force: true });
});
afterEach(() => {
  process.env = { ...saved };
});

describe('PIPE_OFFLINE=1 means no network call', () => {
  it('fetchVerified neither downloads nor deletes a cached file, and names the mirror file to provide', async () => {
    process.env.PIPE_OFFLINE = '1';
    const dir = path.join(tmp, 'dl');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'w.bin'), 'stale');
    const mirror = path.join(tmp, 'mirror', 'w.bin');
    requests = 0;
    const err = (await fetchVerified({
      url: `${base}/w.bin`,
      sha256: 'a'.repeat(64),
      downloadDir: dir,
      mirrorCandidates: [mirror],
    }).catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe('PIPE_OFFLINE_MISSING');
    expect(err.message).toContain(mirror);
    expect(requests).toBe(0);
    expect(await fs.readFile(path.join(dir, 'w.bin'), 'utf8')).toBe('stale');
  });

  it('a registry dataset is not downloaded offline; the message names the archive to put in the mirror', async () => {
    process.env.PIPE_OFFLINE = '1';
    const registry: Record<string, DatasetEntry> = {
      tiny: {
        name: 'tiny',
        layout: 'unaligned',
        url: `${base}/tiny.zip`,
        folder: 'tiny',
        splits: ['trainA', 'trainB', 'testA', 'testB'],
        usualDirection: 'AtoB',
        description: 'test',
      },
    };
    const dataDir = path.join(tmp, 'data');
    requests = 0;
    const opts = { projectDir: tmp, dataDir, downloadDir: path.join(tmp, 'dl2'), download: true, registry };
    await expect(locateDataset({ source: 'tiny', layout: 'unaligned' }, opts)).rejects.toMatchObject({
      code: 'PIPE_OFFLINE_MISSING',
      message: expect.stringContaining(path.join(dataDir, 'tiny.zip')),
    });
    expect(requests).toBe(0);
  });
});

function png(): Buffer {
  const p = new PNG({ width: 8, height: 4 });
  p.data.fill(90);
  return PNG.sync.write(p);
}

describe('dataset folders', () => {
  it('symlinked images are followed (counted), a dangling link is refused with a message', async () => {
    const root = path.join(tmp, 'links');
    const elsewhere = path.join(tmp, 'elsewhere');
    await fs.mkdir(path.join(root, 'train'), { recursive: true });
    await fs.mkdir(path.join(root, 'test'), { recursive: true });
    await fs.mkdir(elsewhere, { recursive: true });
    await fs.writeFile(path.join(root, 'train', '1.png'), png());
    for (const i of [2, 3]) {
      await fs.writeFile(path.join(elsewhere, `${i}.png`), png());
      await fs.symlink(path.join(elsewhere, `${i}.png`), path.join(root, 'train', `${i}.png`));
    }
    await fs.writeFile(path.join(root, 'test', '1.png'), png());
    const spec = {
      layout: 'aligned' as const,
      direction: 'AtoB' as const,
      loadSize: 8,
      cropSize: 4,
      maxImages: null,
      trainSplit: 'train',
      evalSplit: 'test',
    };
    const plan = await planSources(root, spec);
    expect(plan.train.layout === 'aligned' && plan.train.files.map((f) => path.basename(f))).toEqual([
      '1.png',
      '2.png',
      '3.png',
    ]);
    expect(planFiles(plan)).toHaveLength(4);
    await fs.symlink(path.join(elsewhere, 'gone.png'), path.join(root, 'train', '4.png'));
    await expect(planSources(root, spec)).rejects.toMatchObject({
      code: 'PIPE_DATASET_BAD_LINK',
      message: expect.stringContaining('4.png'),
    });
  });

  it('a split name that is a path is refused (planning and validate)', async () => {
    const spec = {
      layout: 'aligned' as const,
      direction: 'AtoB' as const,
      loadSize: 8,
      cropSize: 4,
      maxImages: null,
      trainSplit: '../../../../tmp/x',
      evalSplit: 'test',
    };
    await expect(planSources(path.join(tmp, 'links'), spec)).rejects.toMatchObject({ code: 'PIPE_BAD_SPLIT' });
  });

  it('a dataset.path that is a file is reported as a file', async () => {
    const file = path.join(tmp, 'data.tar');
    await fs.writeFile(file, 'x');
    await expect(
      locateDataset({ path: file, layout: 'aligned' }, { projectDir: tmp, downloadDir: tmp, download: false }),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/is a file, not a folder/),
    });
  });
});

describe('split names in the pipeline', () => {
  let p: Project;
  beforeAll(async () => {
    p = await makeProject();
  });
  afterAll(async () => p.cleanup());

  it('validate refuses dataset.train_split and evaluate.split that are paths', async () => {
    for (const [key, set] of [
      ['train_split', 'dataset.train_split=../../../../tmp/x'],
      ['split', 'evaluate.split=../x'],
    ]) {
      const r = await cli('validate', p.file, '--set', set);
      expect(r.code, r.err).toBe(1);
      expect(r.err).toContain(key);
    }
  });
});
