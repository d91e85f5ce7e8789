// TensorFlow.js weight manifests (`model.json` + binary shards). Only the groups holding a wanted tensor are read,
// so a partial mirror (shards of later layers absent) still serves the layers it has: tensors whose shard is
// missing are simply absent from the result, and the caller names them.
import fs from 'node:fs/promises';
import path from 'node:path';
import { badFile } from '../errors.js';
import { numel, type ReadOptions, type WeightMap } from '../types.js';
import { toFloat32, type StoredDtype } from './dtype.js';
import { isFile } from '../../../core/fs.js';

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

export interface TfjsReadResult {
  weights: WeightMap;
  /** Shard files that a wanted tensor needed but that are not on disk. */
  missingShards: string[];
}

export async function readTfjsManifest(modelJson: string, opts: ReadOptions = {}): Promise<TfjsReadResult> {
  let manifest: ManifestGroup[];
  try {
    const json = JSON.parse(await fs.readFile(modelJson, 'utf8'));
    manifest = Array.isArray(json) ? json : json.weightsManifest;
    if (!Array.isArray(manifest)) throw new Error('no weightsManifest');
  } catch (err) {
    throw badFile(modelJson, `not a TensorFlow.js model.json (${(err as Error).message})`);
  }
  const dir = path.dirname(modelJson);
  const weights: WeightMap = new Map();
  const missingShards: string[] = [];
  for (const group of manifest) {
    if (!group.weights.some((w) => !opts.only || opts.only(w.name))) continue;
    const shardPaths = group.paths.map((p) => path.join(dir, p));
    const present = await Promise.all(shardPaths.map(isFile));
    if (present.includes(false)) {
      missingShards.push(...shardPaths.filter((_, i) => !present[i]));
      continue;
    }
    const bytes = new Uint8Array(Buffer.concat(await Promise.all(shardPaths.map((p) => fs.readFile(p)))));
    let offset = 0;
    for (const w of group.weights) {
      if (w.quantization)
        throw badFile(modelJson, `weight ${w.name} is quantized; only float32 manifests are supported`);
      if (w.dtype !== 'float32')
        throw badFile(modelJson, `weight ${w.name} has dtype ${w.dtype}; only float32 is supported`);
      const count = numel(w.shape);
      if (offset + count * 4 > bytes.length)
        throw badFile(modelJson, `shards of ${w.name} are shorter than the manifest says`);
      if (!opts.only || opts.only(w.name))
        weights.set(w.name, { shape: [...w.shape], data: toFloat32(bytes, offset, count, 'f32' as StoredDtype) });
      offset += count * 4;
    }
  }
  return { weights, missingShards };
}
