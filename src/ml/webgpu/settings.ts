// pipe's webgpu settings (docs/gpu.md, "WebGPU settings"). Each comes from its PIPE_WEBGPU_* variable where that is
// set, else from the pipeline's backend_options.webgpu, else its default: the machine's variable beats the
// pipeline's key, as PIPE_THREADS beats backend_options.threads, so one GPU host can differ from the rest of a
// queue. The pipeline's keys are given as the variables spell them, so one check covers both sources (the schema
// has checked the keys already; a variable is checked here), and each use reads the setting afresh: tests switch a
// variable within one process.
import type { WebgpuOptions } from '../../core/backends.js';
import { UserError } from '../../core/errors.js';

export type { WebgpuOptions } from '../../core/backends.js';

interface Spec {
  variable: string;
  /** The spellings allowed, or 'count' for a whole number >= 1. */
  values: readonly string[] | 'count';
  /** What leaving the variable unset does. */
  unset: string;
}

const SPECS = {
  kernels: { variable: 'PIPE_WEBGPU_KERNELS', values: ['pipe', 'stock'], unset: "use pipe's kernels" },
  subgroups: {
    variable: 'PIPE_WEBGPU_SUBGROUPS',
    values: ['0', '1'],
    unset: 'use subgroups where the adapter offers them',
  },
  f16: { variable: 'PIPE_WEBGPU_F16', values: ['0', '1'], unset: 'keep forward convolutions in f32' },
  submit_batch: {
    variable: 'PIPE_WEBGPU_SUBMIT_BATCH',
    values: 'count',
    unset: "keep tfjs's batch of 15 dispatches per submit",
  },
  backbone_conv: {
    variable: 'PIPE_WEBGPU_BACKBONE_CONV',
    values: ['stock', 'pipe'],
    unset: "keep tfjs's stock kernels for the pretrained backbones' convolutions",
  },
  conv_autotune: {
    variable: 'PIPE_WEBGPU_CONV_AUTOTUNE',
    values: ['0', '1'],
    unset: 'run every convolution on its default kernel',
  },
} as const satisfies Record<keyof WebgpuOptions, Spec>;

export type WebgpuSetting = keyof typeof SPECS;

let fromPipeline: WebgpuOptions = {};

/** The pipeline's backend_options.webgpu for the stage about to run (none: every setting from its variable). */
export function useWebgpuOptions(options: WebgpuOptions = {}): void {
  fromPipeline = options;
}

/** A setting as its variable would spell it: the variable where set, else the pipeline's key, else undefined. */
export function webgpuSetting(key: WebgpuSetting, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[SPECS[key].variable];
  if (raw !== undefined && raw !== '') return checked(SPECS[key], raw);
  const value = fromPipeline[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value ? '1' : '0';
  return String(value);
}

/** Refuses the first PIPE_WEBGPU_* variable set to something its setting does not allow. */
export function checkWebgpuVariables(env: NodeJS.ProcessEnv = process.env): void {
  for (const key of Object.keys(SPECS) as WebgpuSetting[]) webgpuSetting(key, env);
}

/** The PIPE_WEBGPU_* variables set on this machine, each with why it is refused, if it is (for `pipe doctor`). */
export function webgpuVariables(
  env: NodeJS.ProcessEnv = process.env,
): { variable: string; value: string; problem?: string }[] {
  return Object.values(SPECS)
    .filter((spec) => (env[spec.variable] ?? '') !== '')
    .map((spec) => {
      const value = env[spec.variable]!;
      try {
        checked(spec, value);
        return { variable: spec.variable, value };
      } catch (err) {
        return { variable: spec.variable, value, problem: (err as Error).message };
      }
    });
}

function checked(spec: Spec, raw: string): string {
  const n = Number(raw);
  const ok = spec.values === 'count' ? Number.isInteger(n) && n >= 1 : spec.values.includes(raw);
  if (ok) return raw;
  const allowed = spec.values === 'count' ? 'a whole number, 1 or more' : spec.values.map((v) => `"${v}"`).join(' or ');
  throw new UserError(
    'PIPE_BAD_OPTION',
    `${spec.variable} must be ${allowed}; got "${raw}".`,
    2,
    `Unset it to ${spec.unset}, or to take the pipeline's backend_options.webgpu.`,
  );
}
