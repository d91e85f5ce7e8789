// Public API of the compiler: YAML file -> validated, defaulted config -> expanded configs -> DAG.
// Pure apart from reading the pipeline file.
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { compilePipelineText } from './compile.js';
import { decodePipelineBytes } from './decode-text.js';
import { readBounded } from '../core/bounded-read.js';
import type { Dag, ExpandedConfig } from './types.js';
import type { ResolvedConfig } from '../core/stage-params.js';

export { compilePipelineText } from './compile.js';
export { PipelineError, PIPE_INVALID_PIPELINE, formatDiagnostic, type Diagnostic } from './diagnostics.js';
export { findCycle, topologicalOrder, topologicalWaves, dependents, dependencies, DagError } from './dag.js';
export { BACKBONE_LAYERS, BACKBONE_WEIGHTS } from '../core/backbones.js';
export { lossBalanceWarning, expectedTerms } from './loss-balance.js';

export interface CompileOptions {
  /** `--set a.b=c` overrides, applied to the base config before variants and sweeps. */
  sets?: string[];
  /** Most configs the pipeline may expand to (--max-configs); default PIPE_MAX_SWEEP_POINTS or 10,000. */
  maxConfigs?: number;
}

export interface Compiled {
  /** Absolute path of the pipeline file. */
  file: string;
  /** The file's text as given (the run directory keeps it as pipeline.yaml). */
  text: string;
  config: ResolvedConfig;
  configs: ExpandedConfig[];
  dag: Dag;
}

/** Throws an error with code PIPE_INVALID_PIPELINE whose message lists every FILE:LINE:COL diagnostic. */
export async function compileFile(file: string, options: CompileOptions = {}): Promise<Compiled> {
  const abs = path.resolve(file);
  let bytes: Buffer;
  try {
    // Regular files under PIPE_MAX_PIPELINE_BYTES only: a 50 MB file would take GBs to parse.
    bytes = await readBounded(abs, { limit: 'pipelineBytes', what: 'pipeline file', code: 'PIPE_PIPELINE_NOT_FOUND' });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code !== 'PIPE_PIPELINE_NOT_FOUND') throw err;
    const why = /ENOENT/.test(e.message) ? 'no such file' : e.message.replace(/^.*?: /, '').replace(/\.$/, '');
    throw new UserError('PIPE_PIPELINE_NOT_FOUND', `${file}: cannot read the pipeline file (${why}); check the path`);
  }
  // Diagnostics name the file as the user typed it, so editors and terminals can open it.
  const text = decodePipelineBytes(bytes, file);
  const compiled = compilePipelineText(text, file, options.sets ?? [], { maxConfigs: options.maxConfigs });
  return { file: abs, text, ...compiled };
}
