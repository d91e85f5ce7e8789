// Plain-data contracts produced by the compiler and consumed by the runtime: the expanded configs and the
// stage DAG. The config and stage-param types live in src/core/stage-params.ts (generated from the schema).
import type { ResolvedConfig } from '../core/stage-params.js';

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
