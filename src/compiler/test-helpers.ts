// Test helpers: compile YAML text and get its diagnostics (not shipped behaviour; used by *.test.ts).
import { compilePipelineText, type CompiledPipeline } from './compile.js';
import { PipelineError, type Diagnostic } from './diagnostics.js';

export const FILE = 'p.yaml';

/** Joins lines so that line numbers in assertions are easy to count. */
export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

export function compile(text: string, sets: string[] = []): CompiledPipeline {
  return compilePipelineText(text, FILE, sets);
}

/** The diagnostics of a pipeline that must fail (throws if it compiles). */
export function diagnostics(text: string, sets: string[] = []): Diagnostic[] {
  try {
    compile(text, sets);
  } catch (e) {
    if (e instanceof PipelineError) return e.diagnostics;
    throw e;
  }
  throw new Error('expected the pipeline to fail');
}

/** A minimal valid pipeline: facades, 64x64, unet. Extra lines are appended at top level. */
export function minimal(...extra: string[]): string {
  return yaml(
    'name: t', //                                                        1
    'dataset: { source: facades, load_size: 64, crop_size: 64 }', //    2
    'model: { generator: unet }', //                                    3
    ...extra, //                                                        4...
  );
}
