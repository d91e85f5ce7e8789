import type { StageKind } from './types.js';

// Placeholder until the dataset stage lands; the runtime reports this as a stage failure.
export const datasetStage: StageKind = {
  kind: 'dataset',
  version: 0,
  async run() {
    throw new Error('stage kind "dataset" is not implemented yet');
  },
};
