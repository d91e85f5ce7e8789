// The config types every layer reads: the pipeline config after defaults and the params each stage kind
// receives. They derive from the types generated from schemas/pipeline.schema.json (npm run gen:types), so
// nothing here restates a key the schema already defines. The compiler builds the params; stages and the
// engine (src/ml) read them.
import type { PipelineConfig } from './config.generated.js';

export type { PipelineConfig } from './config.generated.js';

/** A config section after defaults: every key present (nullable keys stay nullable). */
export type Resolved<T> = T extends readonly (infer U)[]
  ? Resolved<U>[]
  : T extends object
    ? { [K in keyof T]-?: Resolved<Exclude<T[K], undefined>> }
    : T;

export type ResolvedConfig = Resolved<PipelineConfig>;

// ---- Params each stage kind receives (the compiler builds them; the stage reads them) ----
type C = ResolvedConfig;

/** dataset: decode, resize, split. Flip/crop happen at train time, so they are not here. */
export type DatasetParams = Pick<
  C['dataset'],
  'source' | 'path' | 'layout' | 'direction' | 'load_size' | 'crop_size' | 'max_images' | 'train_split'
> & {
  /** Split prepared for evaluation (resized to crop_size). */
  eval_split: string;
};

/** train: inputs { dataset }. */
export interface TrainParams {
  dataset: Pick<C['dataset'], 'layout' | 'direction' | 'load_size' | 'crop_size' | 'flip'>;
  /** init_from is absent when unset (pipelines without it keep their fingerprints). */
  model: Omit<C['model'], 'init_from'> & { init_from?: string | null };
  loss: C['loss'];
  train: C['train'];
}

/** evaluate: inputs { dataset, train }. */
export interface EvaluateParams {
  model: Pick<C['model'], 'kind'>;
  dataset: Pick<C['dataset'], 'crop_size' | 'direction'>;
  evaluate: C['evaluate'];
}

/** report: inputs { `train:<configId>`, `evaluate:<configId>` } for every config. */
export interface ReportParams {
  name: string;
  description: string;
  report: C['report'];
  checks: C['checks'];
  /** Every expanded config without its full body: id, variant and what differs from the base. */
  configs: { id: string; variant: string; overrides: Record<string, unknown> }[];
  /** The base pipeline after defaults, for the report's "pipeline" section (machine settings left out). */
  base: Omit<C, 'variants' | 'sweep' | 'checks' | 'backend' | 'backend_options'>;
}
