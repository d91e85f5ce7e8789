import type { StageKind } from './types.js';

// Placeholder until the evaluate stage lands; the runtime reports this as a stage failure.
export const evaluateStage: StageKind = {
  kind: 'evaluate',
  version: 0,
  async run() {
    throw new Error('stage kind "evaluate" is not implemented yet');
  },
};
