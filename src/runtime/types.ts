// Contracts between the scheduler and the executors (local child processes, BullMQ queue).
import type { StageEnv } from '../stages/types.js';
import type { StageProgress } from '../core/progress.js';

/** Everything a process needs to run one stage; plain JSON so it can cross a process or a queue. */
export interface StageJob {
  stageId: string;
  kind: string;
  fingerprint: string;
  params: Record<string, unknown>;
  /** Input name -> fingerprint of the upstream stage (its published cache entry). */
  inputs: Record<string, string>;
  env: StageEnv;
  /** Recompute even if the cache holds the fingerprint, and replace the entry (`--force`). */
  force?: boolean;
  /** Where the process running the stage appends its log, when the coordinator can read that path. */
  logFile?: string;
}

export interface StageOutcome {
  stageId: string;
  fingerprint: string;
  status: 'done' | 'failed';
  /** One-paragraph message for a failed stage (no stack trace for user errors). */
  error?: string;
  /** Where the stage's log was written. */
  logFile?: string;
  seconds: number;
  /** Who ran it (hostname:pid, worker id). */
  worker?: string;
  /**
   * Set when this process did not compute the stage: another process published the entry first (while
   * this one waited for its lock). The other's worker id, or 'another process' when its record lacks one.
   */
  computedBy?: string;
}

export interface ExecutorHooks {
  onProgress(stageId: string, p: StageProgress): void;
  onLog?(stageId: string, line: string): void;
  signal: AbortSignal;
}

/** Runs one ready stage whose inputs are already published in the artefact store. */
export interface Executor {
  readonly name: string;
  run(job: StageJob, hooks: ExecutorHooks): Promise<StageOutcome>;
  close(): Promise<void>;
}

/**
 * Where finished stage outputs live. The first implementation is a directory (possibly on shared
 * storage); an object store can implement the same interface.
 */
export interface ArtefactStore {
  /** Published, read-only directory of a finished stage, or undefined when absent/corrupt. */
  lookup(fingerprint: string): Promise<string | undefined>;
  /** Persistent scratch directory for an unfinished stage (checkpoints survive a kill). */
  workDir(fingerprint: string): Promise<string>;
  /** Atomically publish `dir` (filled by the stage) as the entry for `fingerprint`. */
  publish(
    fingerprint: string,
    dir: string,
    record: Record<string, unknown>,
    opts?: { replace?: boolean },
  ): Promise<string>;
}
