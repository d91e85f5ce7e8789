// What `pipe predict` / `pipe export` run: a train stage's published generators (model.json + weights) or
// an official pytorch-CycleGAN-and-pix2pix generator file (.pth), behind one interface.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { StageUserError } from '../../core/errors.js';
import { DOES_NOT_EXIST, FileFormatError } from '../../core/formats/read-json.js';
import { readStageRecord, STAGE_RECORD } from '../../core/formats/stage-record.js';
import { generatorFor } from '../models/index.js';
import type { ParamMap } from '../models/params.js';
import { loadGenerators } from '../train/generators.js';
import { seedSource, stepRng } from '../train/rng.js';
import { MODEL_FILE, type SavedModel } from '../train/saved-model.js';
import { readTorch } from '../weights/readers/torch.js';
import { archFromStateDict, paramsFromStateDict } from './official-checkpoint.js';
import type { GeneratorArch } from './official-names.js';

export type Direction = 'AtoB' | 'BtoA';
export type EvalMode = 'batch' | 'running';

export interface InferenceModel {
  /** Where the model came from (for messages). */
  source: string;
  arch: GeneratorArch;
  /** The square size the generator was trained on; inputs are resized to it. */
  size: number;
  /** The training data's layout and direction, when known (a train stage's model). */
  dataset?: { layout: 'aligned' | 'unaligned'; direction: Direction };
  directions: Direction[];
  /** NHWC [-1,1] -> NHWC [-1,1]; the caller owns the result. */
  predict(direction: Direction, x: tf.Tensor4D): tf.Tensor4D;
  /** Whether a batch of N gives the same as N batches of 1 (no batch statistics, no dropout). */
  batchIndependent: boolean;
  /** Parameters by direction (pipe names), for export. */
  params(direction: Direction): ParamMap;
  dispose(): void;
}

export interface OpenOptions {
  evalMode: EvalMode;
  /** Square input size for a .pth (no training settings in the file); default 256. */
  size?: number;
  /** false: no dropout noise in batch mode (deterministic, as the exported graphs); a .pth U-Net defaults to on. */
  dropout?: boolean;
  seed?: number;
}

function noRunningStats(where: string): StageUserError {
  return new StageUserError(
    'PIPE_NO_RUNNING_STATS',
    `${where} normalises with batch statistics and keeps no running averages, so --eval-mode running cannot apply. ` +
      'Use --eval-mode batch (the default, as pytorch-CycleGAN-and-pix2pix test.py without --eval).',
  );
}

async function readSaved(dir: string): Promise<SavedModel> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, MODEL_FILE), 'utf8')) as SavedModel;
  } catch (err) {
    throw new StageUserError(
      'PIPE_MODEL_NOT_FOUND',
      `${dir} holds no readable ${MODEL_FILE} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). ` +
        'Give a run (runs/<name>/<id>[:variant]), a pipeline file, a train stage folder or a .pth generator file.',
    );
  }
}

/** The dataset settings of a model published before model.json carried them: from the stage.json beside it. */
async function datasetOf(dir: string, saved: SavedModel): Promise<InferenceModel['dataset']> {
  if (saved.dataset) return saved.dataset;
  try {
    const stage = await readStageRecord(path.join(dir, STAGE_RECORD));
    const dataset = (stage.params as { dataset?: InferenceModel['dataset'] } | undefined)?.dataset;
    return dataset ? { layout: dataset.layout, direction: dataset.direction } : undefined;
  } catch (err) {
    // A copied model folder without stage.json: the CLI options decide. A damaged one is exit 2 naming it.
    if (err instanceof FileFormatError && err.problem === DOES_NOT_EXIST) return undefined;
    throw err;
  }
}

export async function openTrainDir(dir: string, o: OpenOptions): Promise<InferenceModel> {
  const saved = await readSaved(dir);
  const arch: GeneratorArch = { ...saved.model, dropout: saved.model.dropout === true };
  const hasBatchNorm = arch.norm === 'batch';
  const dropoutOn = o.evalMode === 'batch' && o.dropout !== false && arch.dropout;
  const gens = await loadGenerators(dir, { dropout: dropoutOn ? undefined : false, normStats: o.evalMode });
  const hasRunning = Object.keys(gens.AtoB.params).some((k) => k.endsWith('.running_mean'));
  if (o.evalMode === 'running' && hasBatchNorm && !hasRunning) {
    gens.dispose();
    throw noRunningStats(dir);
  }
  const directions: Direction[] = gens.BtoA ? ['AtoB', 'BtoA'] : ['AtoB'];
  return {
    source: dir,
    arch,
    size: saved.cropSize,
    dataset: await datasetOf(dir, saved),
    directions,
    predict: (d, x) => (d === 'BtoA' ? gens.BtoA! : gens.AtoB).predict(x),
    batchIndependent: !((o.evalMode === 'batch' && hasBatchNorm) || dropoutOn),
    params: (d) => (d === 'BtoA' ? gens.BtoA! : gens.AtoB).params,
    dispose: () => gens.dispose(),
  };
}

export async function openCheckpoint(file: string, o: OpenOptions): Promise<InferenceModel> {
  const sd = await readTorch(file);
  const found = archFromStateDict(sd, file);
  if (found.channels.in !== 3 || found.channels.out !== 3) {
    throw new StageUserError(
      'PIPE_CHECKPOINT_CHANNELS',
      `${file} is a generator for ${found.channels.in} input and ${found.channels.out} output channels; ` +
        'pipe predicts RGB (3 and 3).',
    );
  }
  const arch: GeneratorArch = {
    ...found,
    dropout: found.generator.startsWith('unet') ? o.dropout !== false : found.dropout,
  };
  const size = found.generator === 'unet' ? 2 ** found.numDowns! : (o.size ?? 256);
  const { params: loaded, running } = paramsFromStateDict(sd, arch, size, file);
  if (o.evalMode === 'running' && arch.norm === 'batch' && running.size === 0) throw noRunningStats(file);
  const params: ParamMap = {};
  for (const [k, v] of [...loaded, ...running]) params[k] = tf.tensor(v.data, v.shape);
  const layer = generatorFor(arch, size);
  let calls = 0;
  const dropoutOn = o.evalMode === 'batch' && arch.dropout;
  return {
    source: file,
    arch,
    size,
    directions: ['AtoB'],
    predict: (_d, x) =>
      tf.tidy(() =>
        layer.apply(params, x, {
          normStats: o.evalMode,
          ...(dropoutOn ? { dropoutSeed: seedSource(stepRng(o.seed ?? 0, 'predict/G', calls++)) } : {}),
        }),
      ),
    batchIndependent: !(o.evalMode === 'batch' && (arch.norm === 'batch' || dropoutOn)),
    params: () => params,
    dispose: () => tf.dispose(Object.values(params)),
  };
}
