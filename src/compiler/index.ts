// Public API of the compiler: YAML file -> validated, defaulted config -> expanded configs -> DAG.
// Pure apart from reading the pipeline file.
import type { Dag, ExpandedConfig, ResolvedConfig } from './types.js';

export interface CompileOptions {
  /** `--set a.b=c` overrides, applied to the base config before variants and sweeps. */
  sets?: string[];
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
  void file;
  void options;
  throw new Error('compiler not implemented yet');
}
