import type { InferenceModel } from '../inference/model-source.js';
export async function writeOnnx(_model: InferenceModel, _outDir: string): Promise<string[]> {
  throw new Error('not yet');
}
