// Builds the run-level metrics.json from the evaluate stages' files: per config, per seed group
// (configs differing only by train.seed) and per variant, plus paired tests against the baseline.
import type {
  AggregateMetrics,
  Check,
  ConfigMetrics,
  EvaluateMetricsFile,
  MetricName,
  PairedTest,
  PairMetricName,
  RunMetricsFile,
  Summary,
} from '../core/formats/metrics-file.js';
import { PAIR_METRICS } from '../ml/metrics/definitions.js';
import { aggregateSeeds, mean, pairedTTest } from '../ml/metrics/stats.js';

export interface ConfigRef {
  id: string;
  variant: string;
  overrides: Record<string, unknown>;
}

export interface AggregateInput {
  pipeline: string;
  baseline: string | null;
  configs: ConfigRef[];
  evaluations: Record<string, EvaluateMetricsFile>;
  checks?: Check[];
}

const SEED_KEY = 'train.seed';

function formatValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Group label: the variant, plus the non-seed overrides that differ between the variant's configs. */
function groupLabels(configs: ConfigRef[]): Map<string, string> {
  const byVariant = new Map<string, ConfigRef[]>();
  for (const c of configs) byVariant.set(c.variant, [...(byVariant.get(c.variant) ?? []), c]);
  const labels = new Map<string, string>();
  for (const [variant, list] of byVariant) {
    const keys = new Set(list.flatMap((c) => Object.keys(c.overrides)).filter((k) => k !== SEED_KEY));
    const varying = [...keys].filter((k) => new Set(list.map((c) => formatValue(c.overrides[k]))).size > 1).sort();
    for (const c of list) {
      labels.set(
        c.id,
        varying.length ? `${variant} ${varying.map((k) => `${k}=${formatValue(c.overrides[k])}`).join(' ')}` : variant,
      );
    }
  }
  return labels;
}

/** Per image name: the mean over the given configs (only images every config has). */
function perImageMeans(configs: ConfigMetrics[], metric: PairMetricName): Map<string, number> {
  const out = new Map<string, number>();
  if (configs.length === 0) return out;
  for (const name of Object.keys(configs[0].images)) {
    const values = configs.map((c) => c.images[name]?.[metric]);
    if (values.every((v): v is number => typeof v === 'number' && Number.isFinite(v))) out.set(name, mean(values));
  }
  return out;
}

function aggregate(ids: string[], configs: Record<string, ConfigMetrics>, metrics: MetricName[]): AggregateMetrics {
  const members = ids.map((id) => configs[id]);
  const summary: Partial<Record<MetricName, Summary>> = {};
  for (const m of metrics) {
    const parts = members.map((c) => c.summary[m]).filter((s): s is Summary => s !== undefined);
    if (parts.length === 0) continue;
    summary[m] = parts.length === 1 ? parts[0] : aggregateSeeds(parts.map((s) => s.mean));
  }
  return { configs: ids, summary };
}

function pairedVs(
  ids: string[],
  baselineIds: string[],
  configs: Record<string, ConfigMetrics>,
  metrics: MetricName[],
): Partial<Record<MetricName, PairedTest>> {
  const out: Partial<Record<MetricName, PairedTest>> = {};
  for (const m of PAIR_METRICS) {
    if (!metrics.includes(m)) continue;
    const a = perImageMeans(
      ids.map((id) => configs[id]),
      m,
    );
    const b = perImageMeans(
      baselineIds.map((id) => configs[id]),
      m,
    );
    const names = [...a.keys()].filter((n) => b.has(n));
    if (names.length < 2) continue;
    out[m] = pairedTTest(
      names.map((n) => a.get(n)!),
      names.map((n) => b.get(n)!),
    );
  }
  return out;
}

export function aggregateRun(input: AggregateInput): RunMetricsFile {
  const labels = groupLabels(input.configs);
  const metricSet = new Set<MetricName>();
  const configs: Record<string, ConfigMetrics> = {};
  for (const c of input.configs) {
    const ev = input.evaluations[c.id];
    if (!ev) throw new Error(`no evaluation for config "${c.id}"`);
    ev.metrics.forEach((m) => metricSet.add(m));
    const seed = c.overrides[SEED_KEY];
    configs[c.id] = {
      variant: c.variant,
      overrides: c.overrides,
      seed: typeof seed === 'number' ? seed : null,
      group: labels.get(c.id) ?? c.variant,
      split: ev.split,
      summary: ev.summary,
      images: ev.images,
      speed: ev.speed,
      backend: ev.backend,
      directions: ev.directions,
    };
  }
  const metrics = [...metricSet];
  const idsBy = (key: (c: ConfigMetrics) => string) => {
    const map = new Map<string, string[]>();
    for (const [id, c] of Object.entries(configs)) map.set(key(c), [...(map.get(key(c)) ?? []), id]);
    return map;
  };
  const baselineIds = input.baseline
    ? configs[input.baseline]
      ? [input.baseline]
      : Object.keys(configs).filter((id) => configs[id].variant === input.baseline)
    : [];
  const build = (map: Map<string, string[]>) => {
    const out: Record<string, AggregateMetrics> = {};
    for (const [name, ids] of map) {
      const agg = aggregate(ids, configs, metrics);
      const isBaseline = ids.length === baselineIds.length && ids.every((id) => baselineIds.includes(id));
      if (baselineIds.length && !isBaseline) agg.vs_baseline = pairedVs(ids, baselineIds, configs, metrics);
      out[name] = agg;
    }
    return out;
  };
  return {
    format: 'pipe.run/1',
    pipeline: input.pipeline,
    baseline: input.baseline,
    metrics,
    configs,
    groups: build(idsBy((c) => c.group)),
    variants: build(idsBy((c) => c.variant)),
    checks: input.checks ?? [],
  };
}

/** Whether any group averages more than one seed (the report then shows seed-averaged rows). */
export function hasSeedGroups(run: RunMetricsFile): boolean {
  return Object.values(run.groups).some((g) => g.configs.length > 1);
}
