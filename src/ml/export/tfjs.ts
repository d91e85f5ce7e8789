import type { InferenceModel } from '../inference/model-source.js';
export async function writeTfjs(_model: InferenceModel, _outDir: string): Promise<string[]> {
  throw new Error('not yet');
}
