// The one interface between the runtime and the stage kinds (dataset, train, evaluate, report).
// The runtime knows nothing about ML; a stage knows nothing about DAGs, caches or executors.
// This file is also the plug-in API (PIPE_STAGE_MODULES): a plug-in kind needs only what it exports.
import type { BackendName, WebgpuOptions } from '../core/backends.js';
import type { StageProgress } from '../core/progress.js';

export type { StageProgress } from '../core/progress.js';
export { StageUserError } from '../core/errors.js';

export type { BackendName } from '../core/backends.js';

/** Machine-specific settings a stage may use; never part of a fingerprint. */
export interface StageEnv {
  /** Directory of the pipeline file: relative `path:` values resolve against it. */
  projectDir: string;
  /** Mirror folder for datasets (--data-dir / PIPE_DATA_DIR), if any. */
  dataDir?: string;
  /** Mirror folder for pretrained weights (--weights-dir / PIPE_WEIGHTS_DIR), if any. */
  weightsDir?: string;
  /** Requested backend (auto resolves inside the stage process). */
  backend: BackendName;
  /** Compute threads for the stage's backend (wasm); absent: 1. Resolved by the runtime or the queue worker. */
  threads?: number;
  /** The pipeline's backend_options.webgpu; each PIPE_WEBGPU_* variable of the stage's machine overrides its key. */
  webgpu?: WebgpuOptions;
  /** User download cache for datasets/weights fetched from the network. */
  downloadDir: string;
}

export interface StageContext<P = Record<string, unknown>> {
  stageId: string;
  fingerprint: string;
  params: P;
  /** Input name -> published (read-only) output directory of the upstream stage. */
  inputs: Record<string, string>;
  /**
   * Where the stage writes its outputs. Empty at start; the runtime renames it into the cache
   * only after run() resolves, so a killed stage never leaves a partial cache entry.
   */
  outDir: string;
  /**
   * Persistent scratch space for this fingerprint that survives a killed process (checkpoints).
   * The runtime deletes it after a successful publish.
   */
  workDir: string;
  env: StageEnv;
  progress(p: StageProgress): void;
  log(line: string): void;
  signal: AbortSignal;
}

/** Recorded in the cache entry's stage.json next to params and timings. */
export interface StageResult {
  /** Backend actually used, version, threads/SIMD. */
  backend?: Record<string, unknown>;
  /** Small summary numbers (final losses, metric means...). */
  summary?: Record<string, unknown>;
}

export interface StageKind<P = Record<string, unknown>> {
  kind: string;
  /** Bump when the stage's outputs for the same params change; part of every fingerprint. */
  version: number;
  run(ctx: StageContext<P>): Promise<StageResult | void>;
  /**
   * Source files whose bytes belong to the fingerprint (e.g. the dataset's images). Resolved in the
   * coordinator before scheduling; return [] when the data is not local yet (the stage then digests
   * what it downloaded into its outputs).
   */
  sourceFiles?(params: P, env: StageEnv): Promise<string[]>;
}
