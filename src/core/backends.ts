// The TensorFlow.js backends pipe knows, as one list: the CLI's --backend check, the engine and the stage env
// read it. The type comes from the schema (schemas/pipeline.schema.json `backend`); backends.test.ts proves the
// list and the schema's enum agree.
import type { PipelineConfig } from './config.generated.js';

/** `auto` takes the first that loads, in AUTO_ORDER. */
export type BackendName = NonNullable<PipelineConfig['backend']>;
export type ConcreteBackend = Exclude<BackendName, 'auto'>;

export const BACKEND_NAMES = [
  'auto',
  'tensorflow-gpu',
  'tensorflow',
  'webgpu',
  'wasm',
  'cpu',
] as const satisfies readonly BackendName[];

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value);
}

/** The pipeline's `backend_options.webgpu`: settings of pipe's kernels on webgpu (docs/gpu.md). */
export type WebgpuOptions = NonNullable<NonNullable<PipelineConfig['backend_options']>['webgpu']>;
