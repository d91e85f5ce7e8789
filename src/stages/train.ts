import type { StageKind } from './types.js';

// Placeholder until the train stage lands; the runtime reports this as a stage failure.
export const trainStage: StageKind = {
  kind: 'train',
  version: 0,
  async run() {
    throw new Error('stage kind "train" is not implemented yet');
  },
};
