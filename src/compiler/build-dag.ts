// Expanded configs -> stage DAG: dataset -> train -> evaluate per config -> one report.
// Stages with equal kind, params and inputs (canonical JSON) are one node serving several configs.
import { canonicalJson } from '../core/canonical-json.js';
import type { Dag, ExpandedConfig, Stage, StageKindName } from './types.js';
import type { DatasetParams, EvaluateParams, ReportParams, ResolvedConfig, TrainParams } from '../core/stage-params.js';

export function datasetParams(c: ResolvedConfig): DatasetParams {
  const d = c.dataset;
  return {
    source: d.source,
    path: d.path,
    layout: d.layout,
    direction: d.direction,
    load_size: d.load_size,
    crop_size: d.crop_size,
    max_images: d.max_images,
    train_split: d.train_split,
    eval_split: c.evaluate.split,
  };
}

export function trainParams(c: ResolvedConfig): TrainParams {
  const d = c.dataset;
  return {
    dataset: { layout: d.layout, direction: d.direction, load_size: d.load_size, crop_size: d.crop_size, flip: d.flip },
    // Unset init_from stays out of the params, so fingerprints of pipelines without it do not change.
    model: c.model.init_from == null ? (({ init_from: _i, ...m }) => m)(c.model) : c.model,
    loss: c.loss,
    train: c.train,
  };
}

export function evaluateParams(c: ResolvedConfig): EvaluateParams {
  return {
    model: { kind: c.model.kind },
    dataset: { crop_size: c.dataset.crop_size, direction: c.dataset.direction },
    evaluate: c.evaluate,
  };
}

export function reportParams(base: ResolvedConfig, configs: readonly ExpandedConfig[]): ReportParams {
  // backend and backend_options change where and how fast stages run, never results: kept out of the fingerprint.
  const { variants: _v, sweep: _s, checks, backend: _b, backend_options: _o, ...rest } = base;
  return {
    name: base.name,
    description: base.description,
    report: base.report,
    checks,
    configs: configs.map((c) => ({ id: c.id, variant: c.variant, overrides: c.overrides })),
    base: rest,
  };
}

/** Identity of a stage for merging: what its fingerprint will be computed from. */
export function stageKey(kind: StageKindName, params: unknown, inputs: Record<string, string>): string {
  return canonicalJson({ kind, params, inputs });
}

class StageTable {
  readonly stages: Record<string, Stage> = {};
  private readonly byKey = new Map<string, Stage>();

  /** Returns the stage id; `name` is used only if the stage is new. */
  add(
    kind: StageKindName,
    name: string,
    configId: string,
    params: Record<string, unknown>,
    inputs: Record<string, string>,
  ): string {
    const key = stageKey(kind, params, inputs);
    const existing = this.byKey.get(key);
    if (existing) {
      if (!existing.configs.includes(configId)) existing.configs.push(configId);
      return existing.id;
    }
    const stage: Stage = { id: name, kind, configs: [configId], params, inputs };
    this.byKey.set(key, stage);
    this.stages[name] = stage;
    return name;
  }
}

export function buildDag(base: ResolvedConfig, configs: readonly ExpandedConfig[]): Dag {
  const table = new StageTable();
  // One dataset stage keeps the plain id `dataset`; several get `dataset/<first config>`.
  const distinctDatasets = new Set(configs.map((c) => canonicalJson(datasetParams(c.config)))).size;
  const reportInputs: Record<string, string> = {};
  for (const c of configs) {
    const dsName = distinctDatasets === 1 ? 'dataset' : `dataset/${c.id}`;
    const ds = table.add('dataset', dsName, c.id, { ...datasetParams(c.config) }, {});
    const train = table.add('train', `train/${c.id}`, c.id, { ...trainParams(c.config) }, { dataset: ds });
    const evaluate = table.add(
      'evaluate',
      `evaluate/${c.id}`,
      c.id,
      { ...evaluateParams(c.config) },
      { dataset: ds, train },
    );
    reportInputs[`train:${c.id}`] = train;
    reportInputs[`evaluate:${c.id}`] = evaluate;
  }
  table.add('report', 'report', configs[0]?.id ?? 'base', { ...reportParams(base, configs) }, reportInputs);
  const report = table.stages.report;
  report.configs = configs.map((c) => c.id);
  const deps: Record<string, string[]> = {};
  for (const s of Object.values(table.stages)) deps[s.id] = [...new Set(Object.values(s.inputs))];
  return { pipeline: base.name, configs: [...configs], stages: table.stages, deps };
}
