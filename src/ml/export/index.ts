// `pipe export`: a model (a run's generators or an official .pth) in a format other runtimes load, plus
// export.json saying what was exported and how to feed it.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { InferenceModel } from '../inference/model-source.js';
import { testPyCommand, writeOfficial } from './official-files.js';

export const EXPORT_FORMATS = ['pytorch', 'safetensors', 'onnx', 'tfjs'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportManifest {
  format: 'pipe.export/1';
  exported: ExportFormat;
  source: string;
  generator: string;
  ngf: number;
  norm: string;
  dropout: boolean;
  /** Square input size (the training crop). */
  size: number;
  /** How inputs are cut from files: aligned A|B (which half, see pipe predict) or whole images. */
  layout?: 'aligned' | 'unaligned';
  datasetDirection?: 'AtoB' | 'BtoA';
  /** File per generator direction. */
  files: Record<string, string>;
  /** Input/output convention of the files. */
  io: string;
  test_py?: string;
}

export async function exportModel(
  model: InferenceModel,
  format: ExportFormat,
  outDir: string,
): Promise<ExportManifest> {
  await fs.mkdir(outDir, { recursive: true });
  let files: string[];
  let io =
    'NCHW float32 RGB in [-1, 1] -> same; ' +
    'batch-norm layers normalise with the statistics of each image (test.py default)';
  if (format === 'pytorch' || format === 'safetensors') {
    files = await writeOfficial(model, format, outDir);
    io = 'state_dict of pytorch-CycleGAN-and-pix2pix networks.py (official key names and shapes)';
  } else if (format === 'onnx') {
    const { writeOnnx } = await import('./onnx.js');
    files = await writeOnnx(model, outDir);
  } else {
    const { writeTfjs } = await import('./tfjs.js');
    files = await writeTfjs(model, outDir);
    io = 'NHWC float32 RGB in [-1, 1] -> same (index.html maps 8-bit images in and out)';
  }
  const manifest: ExportManifest = {
    format: 'pipe.export/1',
    exported: format,
    source: model.source,
    generator: model.arch.generator,
    ngf: model.arch.ngf,
    norm: model.arch.norm,
    dropout: model.arch.dropout,
    size: model.size,
    layout: model.dataset?.layout,
    datasetDirection: model.dataset?.direction,
    files: Object.fromEntries(model.directions.map((d, i) => [d, path.basename(files[i]!)])),
    io,
    ...(format === 'pytorch' ? { test_py: testPyCommand(model) } : {}),
  };
  await fs.writeFile(path.join(outDir, 'export.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
