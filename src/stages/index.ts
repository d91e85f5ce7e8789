import type { StageKind } from './types.js';

// Stage kinds load lazily: `pipe validate` and `pipe plan` must not pay for TensorFlow.js.
const loaders: Record<string, () => Promise<StageKind<any>>> = {
  dataset: async () => (await import('./dataset.js')).datasetStage,
  train: async () => (await import('./train.js')).trainStage,
  evaluate: async () => (await import('./evaluate.js')).evaluateStage,
  report: async () => (await import('./report.js')).reportStage,
};

export const stageKindNames = Object.keys(loaders);

export async function loadStageKind(kind: string): Promise<StageKind<any>> {
  const load = loaders[kind];
  if (!load) throw new Error(`unknown stage kind "${kind}" (known: ${stageKindNames.join(', ')})`);
  return load();
}
