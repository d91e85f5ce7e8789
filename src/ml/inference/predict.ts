// Applies a generator to image files the way the evaluate stage applies it to the evaluation split:
// aligned A|B files are split at int(w/2) (the half the model reads is the dataset stage's A after
// `direction`), each image is resized (Pillow bicubic) to the training crop, mapped to [-1,1], run, and
// written as an 8-bit PNG named after its input.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { StageUserError } from '../../core/errors.js';
import { toTensor } from '../data/sampler.js';
import { cropImage, readImage, unitRangeToRgb, writePng, type RgbImage } from '../io/image.js';
import { resizeBicubic } from '../io/resize.js';
import type { InputImage } from './inputs.js';
import type { Direction, InferenceModel } from './model-source.js';

export interface PredictOptions {
  model: InferenceModel;
  inputs: InputImage[];
  outDir: string;
  direction: Direction;
  /** aligned: inputs are A|B side by side; unaligned: whole images. */
  layout: 'aligned' | 'unaligned';
  batchSize: number;
  onProgress?: (done: number, total: number, file: string) => void;
  signal?: AbortSignal;
}

/** Which half of an A|B file the generator reads: the dataset's A side for AtoB, after the dataset's direction. */
export function alignedHalf(datasetDirection: Direction, direction: Direction): 'left' | 'right' {
  return (datasetDirection === 'AtoB') === (direction === 'AtoB') ? 'left' : 'right';
}

function square(img: RgbImage, size: number): RgbImage {
  return img.width === size && img.height === size ? img : resizeBicubic(img, size, size);
}

/** The generator's input image for one file. */
export async function loadInput(
  file: string,
  o: Pick<PredictOptions, 'layout' | 'direction' | 'model'>,
): Promise<RgbImage> {
  const img = await readImage(file);
  if (o.layout === 'unaligned') return square(img, o.model.size);
  const w2 = Math.floor(img.width / 2);
  if (w2 < 1)
    throw new StageUserError(
      'PIPE_IMAGE_UNREADABLE',
      `Image ${file} is ${img.width} px wide: too narrow to hold A|B side by side.`,
    );
  const half = alignedHalf(o.model.dataset?.direction ?? 'AtoB', o.direction);
  const part =
    half === 'left' ? cropImage(img, 0, 0, w2, img.height) : cropImage(img, w2, 0, img.width - w2, img.height);
  return square(part, o.model.size);
}

async function runBatch(o: PredictOptions, images: RgbImage[]): Promise<Float32Array> {
  const size = o.model.size;
  const prepared = { count: images.length, names: [], size, get: (i: number) => images[i]!.data };
  const x = tf.tensor4d(
    toTensor(
      prepared,
      images.map((_, i) => i),
    ),
    [images.length, size, size, 3],
  );
  try {
    const y = o.model.predict(o.direction, x);
    try {
      // Asynchronous read: webgpu in Node has no synchronous one.
      return (await y.data()) as Float32Array;
    } finally {
      y.dispose();
    }
  } finally {
    x.dispose();
  }
}

/**
 * Writes one PNG per input into outDir and returns their paths. Batches are stacked only when that cannot
 * change the outputs (no batch statistics, no dropout); otherwise images run one by one, as test.py's
 * batch_size 1. The first image is run once before the others (not written): it warms the kernels and
 * advances the dropout stream exactly as the evaluate stage's untimed warm-up call does, so a run's
 * evaluation images come out identical.
 */
export async function predictImages(o: PredictOptions): Promise<string[]> {
  if (!o.model.directions.includes(o.direction)) {
    throw new StageUserError(
      'PIPE_NO_DIRECTION',
      `${o.model.source} has no ${o.direction} generator (it has ${o.model.directions.join(', ')}).`,
    );
  }
  const size = o.model.size;
  const step = o.model.batchIndependent ? o.batchSize : 1;
  const written: string[] = [];
  if (o.inputs.length) await runBatch(o, [await loadInput(o.inputs[0]!.file, o)]);
  for (let start = 0; start < o.inputs.length; start += step) {
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('prediction aborted');
    const chunk = o.inputs.slice(start, start + step);
    const images = await Promise.all(chunk.map((c) => loadInput(c.file, o)));
    const values = await runBatch(o, images);
    for (let i = 0; i < chunk.length; i++) {
      const out = path.join(o.outDir, `${chunk[i]!.name}.png`);
      await fs.mkdir(path.dirname(out), { recursive: true });
      await writePng(out, unitRangeToRgb(values, size, size, i * size * size * 3));
      written.push(out);
      o.onProgress?.(start + i + 1, o.inputs.length, chunk[i]!.file);
    }
  }
  return written;
}
