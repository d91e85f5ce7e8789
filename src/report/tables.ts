// The report's tables as plain rows, shared by the HTML and Markdown renderers: per-config metrics
// (best marked, change vs the baseline signed so + is better), seed-averaged groups, paired tests.
import { METRIC_NAMES, improvement, METRICS } from '../ml/metrics/definitions.js';
import type { MetricName, PairedTest, RunMetricsFile, Summary } from '../core/formats/metrics-file.js';

export interface MetricCell {
  summary: Summary | null;
  best: boolean;
  /** Improvement over the baseline's mean (positive = better), null for the baseline itself or without one. */
  delta: number | null;
  /** Paired t-test vs the baseline (seed-averaged table only). */
  test?: PairedTest;
}

export interface MetricRow {
  label: string;
  variant: string;
  isBaseline: boolean;
  /** Configs averaged (seed table) or 1. */
  n: number;
  cells: Partial<Record<MetricName, MetricCell>>;
}

export function reportMetrics(run: RunMetricsFile): MetricName[] {
  return METRIC_NAMES.filter((m) => run.metrics.includes(m));
}

function baselineMean(run: RunMetricsFile, metric: MetricName): number | null {
  if (!run.baseline) return null;
  const s = run.variants[run.baseline]?.summary[metric] ?? run.configs[run.baseline]?.summary[metric];
  return s ? s.mean : null;
}

function markBest(rows: MetricRow[], metrics: MetricName[]): void {
  for (const m of metrics) {
    const values = rows
      .map((r) => r.cells[m]?.summary?.mean)
      .filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
    if (values.length < 2) continue;
    const best = METRICS[m].higherIsBetter ? Math.max(...values) : Math.min(...values);
    for (const r of rows) if (r.cells[m] && r.cells[m]!.summary?.mean === best) r.cells[m]!.best = true;
  }
}

function cell(run: RunMetricsFile, metric: MetricName, summary: Summary | undefined, isBaseline: boolean): MetricCell {
  const base = baselineMean(run, metric);
  return {
    summary: summary ?? null,
    best: false,
    delta: summary && base !== null && !isBaseline ? improvement(metric, summary.mean, base) : null,
  };
}

function baselineConfigs(run: RunMetricsFile): string[] {
  if (!run.baseline) return [];
  return run.variants[run.baseline]?.configs ?? (run.configs[run.baseline] ? [run.baseline] : []);
}

const sameSet = (a: string[], b: string[]) => a.length > 0 && a.length === b.length && a.every((x) => b.includes(x));

/** One row per config. */
export function configRows(run: RunMetricsFile): MetricRow[] {
  const metrics = reportMetrics(run);
  const rows = Object.entries(run.configs).map(([id, c]) => {
    const isBaseline = sameSet([id], baselineConfigs(run));
    return {
      label: id,
      variant: c.variant,
      isBaseline,
      n: 1,
      cells: Object.fromEntries(metrics.map((m) => [m, cell(run, m, c.summary[m], isBaseline)])),
    };
  });
  markBest(rows, metrics);
  return rows;
}

/** One row per seed group (configs differing only by train.seed): mean of seed means, t interval across seeds. */
export function groupRows(run: RunMetricsFile): MetricRow[] {
  const metrics = reportMetrics(run);
  const rows = Object.entries(run.groups).map(([name, g]) => {
    const variant = run.configs[g.configs[0]].variant;
    const isBaseline = sameSet(g.configs, baselineConfigs(run));
    const cells: MetricRow['cells'] = {};
    for (const m of metrics) {
      cells[m] = cell(run, m, g.summary[m], isBaseline);
      const t = g.vs_baseline?.[m];
      if (t) cells[m]!.test = t;
    }
    return { label: name, variant, isBaseline, n: g.configs.length, cells };
  });
  markBest(rows, metrics);
  return rows;
}

export function formatP(p: number): string {
  if (Number.isNaN(p)) return 'n/a';
  if (p < 0.001) return '< 0.001';
  return p.toFixed(3);
}
