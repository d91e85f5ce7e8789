// The published form of a train stage's generators (shared by the writer in run.ts and loadGenerators).
import type { TrainParams } from '../../core/stage-params.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_BASE = 'weights';

/** model.json: enough to rebuild the generators without the pipeline. */
export interface SavedModel {
  format: 'pipe-generators';
  version: 1;
  kind: TrainParams['model']['kind'];
  model: TrainParams['model'];
  cropSize: number;
  seed: number;
  /** Direction -> network name inside weights.json. */
  generators: { AtoB: string; BtoA?: string };
}
