// Plain-data contracts produced by the compiler and consumed by the runtime and the stages.
// The config types are generated from schemas/pipeline.schema.json (npm run gen:types); nothing
// here restates a key the schema already defines.
import type { PipelineConfig } from './config.generated.js';

export type { PipelineConfig } from './config.generated.js';

/** A config section after defaults: every key present (nullable keys stay nullable). */
export type Resolved<T> = T extends readonly (infer U)[]
  ? Resolved<U>[]
  : T extends object
    ? { [K in keyof T]-?: Resolved<Exclude<T[K], undefined>> }
    : T;

export type ResolvedConfig = Resolved<PipelineConfig>;

/** One concrete point of variants x sweep. */
export interface ExpandedConfig {
  /** Readable, unique, filesystem-safe id, e.g. `perceptual-layers=relu3_3-seed=2`. */
  id: string;
  /** The variant name it came from. */
  variant: string;
  /** Dotted path -> value applied on top of the base config (variant first, then sweep). */
  overrides: Record<string, unknown>;
  config: ResolvedConfig;
}

export type StageKindName = 'dataset' | 'train' | 'evaluate' | 'report';

export interface Stage {
  /** e.g. `dataset`, `train/<configId>`, `evaluate/<configId>`, `report`. */
  id: string;
  kind: StageKindName;
  /** Config ids this stage serves (several when identical stages were merged). */
  configs: string[];
  params: Record<string, unknown>;
  /** Input name -> upstream stage id. */
  inputs: Record<string, string>;
}

export interface Dag {
  pipeline: string;
  configs: ExpandedConfig[];
  stages: Record<string, Stage>;
  /** Stage id -> ids it depends on (the values of its inputs). */
  deps: Record<string, string[]>;
}

// ---- Params each stage kind receives (the compiler builds them; the stage reads them) ----
type C = ResolvedConfig;

/** dataset: decode, resize, split. Flip/crop happen at train time, so they are not here. */
export type DatasetParams = Pick<C['dataset'], 'source' | 'path' | 'layout' | 'direction' | 'load_size' | 'crop_size' | 'max_images' | 'train_split'> & {
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
  /** The base pipeline after defaults, for the report's "pipeline" section. */
  base: Omit<C, 'variants' | 'sweep' | 'checks'>;
}
