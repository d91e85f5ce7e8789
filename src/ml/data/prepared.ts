// The on-disk form of a prepared dataset: one raw uint8 file per (role, domain) holding count
// images of size×size×3 bytes back to back, and dataset.json describing them. Raw bytes load with one
// read and need no decoding, so every train/evaluate process starts fast.
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  PREPARED_MANIFEST,
  readPreparedManifest,
  type PreparedDomainInfo,
  type PreparedManifest,
  type PreparedRoleInfo,
} from '../../core/formats/dataset-manifest.js';
import type { PreparedDataset, PreparedImages, PreparedSplit } from './types.js';

export {
  PREPARED_FORMAT,
  PREPARED_MANIFEST,
  type PreparedDomainInfo,
  type PreparedManifest,
  type PreparedRoleInfo,
} from '../../core/formats/dataset-manifest.js';

function imagesFrom(bytes: Uint8Array, info: PreparedDomainInfo, size: number, file: string): PreparedImages {
  const per = size * size * 3;
  if (bytes.length !== per * info.count)
    throw new Error(`${file} holds ${bytes.length} bytes, expected ${info.count} images of ${size}x${size}x3`);
  return {
    count: info.count,
    names: info.names,
    size,
    get(i: number) {
      if (!Number.isInteger(i) || i < 0 || i >= info.count) throw new RangeError(`image ${i} of ${info.count}`);
      return bytes.subarray(i * per, (i + 1) * per);
    },
  };
}

async function readRole(dir: string, role: PreparedRoleInfo): Promise<PreparedSplit> {
  const load = async (d: PreparedDomainInfo) => {
    const file = path.join(dir, d.file);
    const buf = await fs.readFile(file);
    return imagesFrom(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), d, role.size, file);
  };
  return { A: await load(role.A), B: await load(role.B) };
}

export async function readManifest(dir: string): Promise<PreparedManifest> {
  return readPreparedManifest(path.join(dir, PREPARED_MANIFEST));
}

/** Loads a dataset stage's output folder (each raw file read once into memory). */
export async function openPrepared(dir: string): Promise<PreparedDataset> {
  const m = await readManifest(dir);
  const train = await readRole(dir, m.train);
  const evalSplit = await readRole(dir, m.eval);
  return {
    layout: m.layout,
    splits: { [m.train.split]: train, [m.eval.split]: evalSplit },
    sourceDigest: m.sourceDigest,
    trainSplit: m.train.split,
    evalSplit: m.eval.split,
    train,
    eval: evalSplit,
    direction: m.direction,
    loadSize: m.loadSize,
    cropSize: m.cropSize,
  };
}
