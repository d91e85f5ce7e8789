// Evaluates the pipeline's `checks:` against a run's metrics.json (pure; no I/O).
// `on: ci_low` means "the conservative end of the 95 % interval": the end that is worst for that
// check, i.e. ci_low for a `min` gate and for a drop in a higher-is-better metric, ci_high for a `max`
// gate and for a drop in a lower-is-better metric (LPIPS, MAE). The table names the end it used.
import { METRICS, formatMetric, isMetricName } from '../ml/metrics/definitions.js';
import type { AnyMetricsFile, Check, MetricName, RunMetricsFile, Summary } from '../core/formats/metrics-file.js';

export interface CheckResult {
  /** e.g. `perceptual ssim >= 0.3`. */
  label: string;
  variant: string;
  metric: string;
  kind: 'min' | 'max' | 'max_drop_vs';
  /** Which figure was compared: mean, ci_low or ci_high. */
  field: 'mean' | 'ci_low' | 'ci_high';
  value: number | null;
  threshold: number | null;
  /** Human form of the threshold, e.g. `>= 0.3000` or `>= 0.5123 (l1 0.5323 - 0.02)`. */
  thresholdText: string;
  pass: boolean;
  /** Why a check could not be evaluated (missing variant or metric). */
  note?: string;
}

/** Finds a variant name or a config id in a run file, or the single config of an evaluate file. */
export function lookupSummary(file: AnyMetricsFile, name: string, metric: MetricName): Summary | undefined {
  // Own keys only: a variant named `constructor` must not find Object.prototype's member.
  const own = <T>(m: Record<string, T>, k: string): T | undefined => (Object.hasOwn(m, k) ? m[k] : undefined);
  if (file.format === 'pipe.evaluate/1') return own(file.summary, metric);
  const v = own(file.variants, name);
  const c = own(file.configs, name);
  return (v && own(v.summary, metric)) ?? (c && own(c.summary, metric));
}

function knows(file: AnyMetricsFile, name: string): boolean {
  return file.format === 'pipe.evaluate/1' || Object.hasOwn(file.variants, name) || Object.hasOwn(file.configs, name);
}

export interface CheckOptions {
  /** A stored metrics.json that max_drop_vs compares with instead of this run. */
  baseline?: AnyMetricsFile;
  baselineLabel?: string;
}

// eslint-disable-next-line max-lines-per-function -- one loop; the three gate kinds share its lookups
export function evaluateChecks(
  checks: readonly Check[],
  run: RunMetricsFile,
  options: CheckOptions = {},
): CheckResult[] {
  const results: CheckResult[] = [];
  for (const check of checks) {
    const on = check.on ?? 'mean';
    const metric = check.metric;
    const base = { variant: check.variant, metric };
    const missing = (kind: CheckResult['kind'], label: string, note: string): CheckResult => ({
      ...base,
      kind,
      label,
      field: 'mean',
      value: null,
      threshold: null,
      thresholdText: '',
      pass: false,
      note,
    });
    const kinds: CheckResult['kind'][] = [];
    if (check.min != null) kinds.push('min');
    if (check.max != null) kinds.push('max');
    if (check.max_drop_vs != null) kinds.push('max_drop_vs');
    for (const kind of kinds) {
      const op =
        kind === 'min'
          ? `>= ${check.min}`
          : kind === 'max'
            ? `<= ${check.max}`
            : `drop vs ${check.max_drop_vs} <= ${check.by ?? 0}`;
      const label = `${check.variant} ${metric}${on === 'ci_low' ? ' (ci)' : ''} ${op}`;
      if (!isMetricName(metric)) {
        results.push(missing(kind, label, `unknown metric "${metric}"`));
        continue;
      }
      const info = METRICS[metric];
      if (!knows(run, check.variant)) {
        results.push(
          missing(
            kind,
            label,
            `no variant or config "${check.variant}" in this run (have: ${Object.keys(run.variants).join(', ')})`,
          ),
        );
        continue;
      }
      const s = lookupSummary(run, check.variant, metric);
      if (!s) {
        results.push(
          missing(kind, label, `metric ${metric} was not computed for "${check.variant}" (add it to evaluate.metrics)`),
        );
        continue;
      }
      const fmt = (v: number) => formatMetric(metric, v);
      if (kind === 'min' || kind === 'max') {
        const field = on === 'mean' ? 'mean' : kind === 'min' ? 'ci_low' : 'ci_high';
        const value = s[field];
        const threshold = kind === 'min' ? check.min! : check.max!;
        const pass = kind === 'min' ? value >= threshold : value <= threshold;
        results.push({
          ...base,
          kind,
          label,
          field,
          value,
          threshold,
          thresholdText: `${kind === 'min' ? '>=' : '<='} ${fmt(threshold)}`,
          pass,
        });
        continue;
      }
      const refName = check.max_drop_vs!;
      const refFile = options.baseline ?? run;
      const refWhere = options.baseline ? ` in ${options.baselineLabel ?? 'the baseline file'}` : '';
      if (!knows(refFile, refName)) {
        results.push(missing(kind, label, `no variant or config "${refName}"${refWhere} to compare with`));
        continue;
      }
      const ref = lookupSummary(refFile, refName, metric);
      if (!ref) {
        results.push(missing(kind, label, `metric ${metric} missing for "${refName}"${refWhere}`));
        continue;
      }
      const by = check.by ?? 0;
      const field = on === 'mean' ? 'mean' : info.higherIsBetter ? 'ci_low' : 'ci_high';
      const value = s[field];
      const threshold = info.higherIsBetter ? ref.mean - by : ref.mean + by;
      const pass = info.higherIsBetter ? value >= threshold : value <= threshold;
      const refLabel = options.baseline ? `${options.baselineLabel ?? 'baseline'}:${refName}` : refName;
      const thresholdText = `${info.higherIsBetter ? '>=' : '<='} ${fmt(threshold)} (${refLabel} ${fmt(ref.mean)} ${info.higherIsBetter ? '-' : '+'} ${by})`;
      results.push({ ...base, kind, label, field, value, threshold, thresholdText, pass });
    }
  }
  return results;
}

function valueText(r: CheckResult): string {
  if (r.value === null) return 'n/a';
  const v = isMetricName(r.metric) ? formatMetric(r.metric, r.value) : String(r.value);
  return r.field === 'mean' ? v : `${v} (${r.field})`;
}

export function checkRows(results: readonly CheckResult[]): string[][] {
  return results.map((r) => [
    r.label,
    valueText(r),
    r.thresholdText || (r.note ?? ''),
    r.pass ? 'PASS' : 'FAIL',
    r.value === null ? '' : (r.note ?? ''),
  ]);
}

const HEADER = ['check', 'value', 'threshold', 'result', 'note'];

/** Aligned plain-text table for the terminal. */
export function formatChecksText(results: readonly CheckResult[]): string {
  if (results.length === 0) return 'No checks defined (add a `checks:` list to the pipeline).\n';
  const rows = [HEADER, ...checkRows(results)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const failed = results.filter((r) => !r.pass).length;
  return [
    line(rows[0]),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.slice(1).map(line),
    '',
    failed ? `${failed} of ${results.length} checks FAILED` : `all ${results.length} checks passed`,
    '',
  ].join('\n');
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

export function formatChecksMarkdown(results: readonly CheckResult[]): string {
  if (results.length === 0) return '_No checks defined._\n';
  const rows = checkRows(results).map((r) => {
    r[3] = r[3] === 'PASS' ? '✅ PASS' : '❌ FAIL';
    return r;
  });
  return [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
    '',
  ].join('\n');
}
