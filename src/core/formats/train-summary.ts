// train.json, the summary a train stage leaves beside its weights: steps, timings, parameter counts, final
// losses and the backend it ran on. The same figures (without `format`) are the stage's `summary` in stage.json.
import { checkFields, checkVersion, isJsonObject } from './json-fields.js';
import { readJsonFile } from './read-json.js';

export const TRAIN_SUMMARY = 'train.json';
/** The train.json format this build writes; a file without `format` is read as this version 1. */
export const TRAIN_SUMMARY_FORMAT = 'pipe.train/1';

// A type, not an interface: it is also a stage's `summary` (a Record<string, unknown>).
export type TrainSummary = {
  steps: number;
  epochs: number;
  stepsPerEpoch: number;
  secondsPerStep: number;
  trainSeconds: number;
  wallSecondsThisRun: number;
  resumedFromEpoch: number | null;
  parameterCounts: Record<string, number>;
  finalLosses: Record<string, number>;
  trainImages: { A: number; B: number; size: number; crop: number };
  /** Present when the generator started from other weights. */
  initFrom?: { source: unknown; sha256: string };
  /** Present when PIPE_WEBGPU_CONV_AUTOTUNE=1 decided convolution products during this stage (docs/gpu.md). */
  convAutotune?: ConvAutotuneSummary;
};

/**
 * Products decided, how many each kernel won (pipe's 32x32 tiles, its 64x64 over 64 and over 256 threads, tfjs's),
 * and the GPU time of one run of every decided product on each kernel and on the ones chosen (ms; null where nothing
 * could be timed, a kernel null where the device cannot run it).
 */
export type ConvAutotuneSummary = {
  products: number;
  chosen: { pipe: number; pipe64: number; pipe64w: number; stock: number };
  ms: { pipe: number; pipe64: number; pipe64w: number | null; stock: number; chosen: number } | null;
};

export type TrainSummaryFile = TrainSummary & {
  /** Absent in files written before pipe recorded it (read as version 1). */
  format?: typeof TRAIN_SUMMARY_FORMAT;
  backend: Record<string, unknown>;
};

/** Reads a train stage's train.json; a FileFormatError (exit 2) names the file and the field otherwise. */
export async function readTrainSummary(file: string): Promise<TrainSummaryFile> {
  return readJsonFile<TrainSummaryFile>(file, {
    what: `a train summary (${TRAIN_SUMMARY_FORMAT})`,
    hint: 'It is written by the train stage when training ends; rerun the train stage to rewrite it.',
    check: (v) =>
      isJsonObject(v)
        ? (checkVersion(v, TRAIN_SUMMARY_FORMAT) ??
          checkFields(v, {
            steps: 'number',
            epochs: 'number',
            secondsPerStep: 'number',
            trainSeconds: 'number',
            parameterCounts: 'object',
            finalLosses: 'object',
            trainImages: 'object',
            backend: 'object',
            initFrom: 'object?',
            convAutotune: 'object?',
          }))
        : checkFields(v, {}),
  });
}
