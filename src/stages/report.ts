import type { StageKind } from './types.js';

// Placeholder until the report stage lands; the runtime reports this as a stage failure.
export const reportStage: StageKind = {
  kind: 'report',
  version: 0,
  async run() {
    throw new Error('stage kind "report" is not implemented yet');
  },
};
