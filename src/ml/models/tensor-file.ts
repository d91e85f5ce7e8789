// A minimal tensor container: `<base>.json` (names, shapes, byte offsets, free-form meta) + `<base>.bin`
// (little-endian float32, concatenated). Both are written through temp files and renamed, the manifest
// last, so a reader that finds the manifest finds complete data.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  offset: number;
  length: number;
}
export interface TensorManifest {
  format: 'pipe-tensors';
  version: 1;
  data: string;
  tensors: TensorEntry[];
  meta?: unknown;
}

const tmpName = (file: string) => `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;

export async function writeTensors(
  dir: string,
  base: string,
  tensors: Record<string, tf.Tensor>,
  meta?: unknown,
): Promise<void> {
  const bin = path.join(dir, `${base}.bin`);
  const binTmp = tmpName(bin);
  const entries: TensorEntry[] = [];
  const fh = await fs.open(binTmp, 'w');
  try {
    let offset = 0;
    for (const [name, t] of Object.entries(tensors)) {
      const data = (await t.data()) as Float32Array;
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      await fh.write(bytes);
      entries.push({ name, shape: t.shape, dtype: 'float32', offset, length: bytes.byteLength });
      offset += bytes.byteLength;
    }
  } finally {
    await fh.close();
  }
  await fs.rename(binTmp, bin);
  const manifest: TensorManifest = { format: 'pipe-tensors', version: 1, data: `${base}.bin`, tensors: entries, meta };
  const json = path.join(dir, `${base}.json`);
  const jsonTmp = tmpName(json);
  await fs.writeFile(jsonTmp, JSON.stringify(manifest, null, 1));
  await fs.rename(jsonTmp, json);
}

export async function readTensors(
  dir: string,
  base: string,
): Promise<{ tensors: Record<string, tf.Tensor>; meta: unknown }> {
  const manifest = JSON.parse(await fs.readFile(path.join(dir, `${base}.json`), 'utf8')) as TensorManifest;
  if (manifest.format !== 'pipe-tensors')
    throw new Error(`${path.join(dir, `${base}.json`)} is not a pipe tensor manifest`);
  const bin = await fs.readFile(path.join(dir, manifest.data));
  const tensors: Record<string, tf.Tensor> = {};
  for (const e of manifest.tensors) {
    // Copy into an aligned buffer: Buffer slices may start at any byte offset.
    const values = new Float32Array(e.length / 4);
    new Uint8Array(values.buffer).set(bin.subarray(e.offset, e.offset + e.length));
    tensors[e.name] = tf.tensor(values, e.shape, 'float32');
  }
  return { tensors, meta: manifest.meta };
}
