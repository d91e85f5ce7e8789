// pipe's webgpu settings (docs/gpu.md, "WebGPU settings"). Each comes from its PIPE_WEBGPU_* variable where that is
// set, else from the pipeline's backend_options.webgpu, else its default: the machine's variable beats the
// pipeline's key, as PIPE_THREADS beats backend_options.threads, so one GPU host can differ from the rest of a
// queue. The pipeline's keys are given as the variables spell them, so one parser per setting checks both, and each
// use reads the setting afresh: tests switch a variable within one process.
import type { WebgpuOptions } from '../../core/backends.js';

export type { WebgpuOptions } from '../../core/backends.js';

const VARIABLES = {
  kernels: 'PIPE_WEBGPU_KERNELS',
  subgroups: 'PIPE_WEBGPU_SUBGROUPS',
  f16: 'PIPE_WEBGPU_F16',
  submit_batch: 'PIPE_WEBGPU_SUBMIT_BATCH',
  backbone_conv: 'PIPE_WEBGPU_BACKBONE_CONV',
  conv_autotune: 'PIPE_WEBGPU_CONV_AUTOTUNE',
} as const satisfies Record<keyof WebgpuOptions, string>;

export type WebgpuSetting = keyof typeof VARIABLES;

let fromPipeline: WebgpuOptions = {};

/** The pipeline's backend_options.webgpu for the stage about to run (none: every setting from its variable). */
export function useWebgpuOptions(options: WebgpuOptions = {}): void {
  fromPipeline = options;
}

/** A setting as its variable would spell it: the variable where set, else the pipeline's key, else undefined. */
export function webgpuSetting(key: WebgpuSetting, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[VARIABLES[key]];
  if (raw !== undefined && raw !== '') return raw;
  const value = fromPipeline[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}
