// Reading a located weight set with the reader its format needs, and checking the tensors a model expects.
import fs from 'node:fs/promises';
import path from 'node:path';
import { WeightsError } from './errors.js';
import { locateWeights, type LocatedWeights, type LocateOptions } from './locate.js';
import { readHdf5 } from './readers/hdf5.js';
import { readSafetensors } from './readers/safetensors.js';
import { readTfjsManifest } from './readers/tfjs.js';
import { readTorch } from './readers/torch.js';
import type { WeightSetId } from './registry.js';
import type { NamedArray, ReadOptions, WeightFormat, WeightMap } from './types.js';

export interface LoadedWeights extends LocatedWeights {
  weights: WeightMap;
  /** tfjs only: shards the wanted tensors needed that the mirror lacks. */
  missingShards: string[];
}

/** Reads a weights file by format; `only` limits what is decoded. */
export async function readWeightsFile(
  file: string,
  format: WeightFormat,
  opts: ReadOptions = {},
): Promise<{ weights: WeightMap; missingShards: string[] }> {
  if (
    !(await fs.stat(file).then(
      (s) => s.isFile(),
      () => false,
    ))
  )
    throw new WeightsError(
      'PIPE_WEIGHTS_MISSING',
      `Weights file ${file} does not exist (or is not a file). Check the path.`,
    );
  switch (format) {
    case 'safetensors':
      return { weights: await readSafetensors(file, opts), missingShards: [] };
    case 'torch':
      return { weights: await readTorch(file, opts), missingShards: [] };
    case 'hdf5':
      return { weights: await readHdf5(file, opts), missingShards: [] };
    case 'tfjs':
      return readTfjsManifest(file, opts);
  }
}

export function formatOfPath(file: string): WeightFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.safetensors') return 'safetensors';
  if (ext === '.h5' || ext === '.hdf5') return 'hdf5';
  if (ext === '.json') return 'tfjs';
  return 'torch';
}

export async function loadWeightSet(id: WeightSetId, opts: LocateOptions & ReadOptions = {}): Promise<LoadedWeights> {
  const located = await locateWeights(id, opts);
  const { weights, missingShards } = await readWeightsFile(located.file, located.format, opts);
  return { ...located, weights, missingShards };
}

/**
 * Picks the tensors a model needs (model name -> file name and expected shape), failing with the file and tensor
 * named when one is absent or has another shape.
 */
export function takeTensors(
  loaded: { file: string; weights: WeightMap; missingShards?: string[] },
  wanted: { key: string; fileKey: string; shape: number[] }[],
  context: string,
): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  const missing = wanted.filter((w) => !loaded.weights.has(w.fileKey));
  if (missing.length > 0) {
    const shardNote = loaded.missingShards?.length
      ? ` The mirror lacks the shard files ${loaded.missingShards.map((s) => path.basename(s)).join(', ')}: it is a partial copy.`
      : '';
    throw new WeightsError(
      'PIPE_WEIGHTS_MISSING_TENSORS',
      `${context}: ${loaded.file} lacks the tensors ${missing.map((m) => m.fileKey).join(', ')}.${shardNote} ` +
        'Request only layers the file has, or provide the complete official file.',
    );
  }
  for (const w of wanted) {
    const t = loaded.weights.get(w.fileKey)!;
    if (t.shape.length !== w.shape.length || t.shape.some((d, i) => d !== w.shape[i]))
      throw new WeightsError(
        'PIPE_WEIGHTS_SHAPE_MISMATCH',
        `${context}: tensor ${w.fileKey} in ${loaded.file} has shape [${t.shape.join(', ')}], the model needs ` +
          `[${w.shape.join(', ')}]. The file belongs to another architecture or weight set.`,
      );
    out.set(w.key, t);
  }
  return out;
}
