// `pipe compare`: metric means of two runs side by side, per variant, with the change signed so
// that "better" reads the same for every metric.
import { METRICS, formatMetric, improvement } from '../ml/metrics/definitions.js';
import type { MetricName, RunMetricsFile } from '../core/formats/metrics-file.js';

export interface CompareRow {
  variant: string;
  metric: MetricName;
  a: number | null;
  b: number | null;
  /** b - a. */
  delta: number | null;
  verdict: 'better' | 'worse' | 'same' | 'only in A' | 'only in B';
}

export function compareRuns(a: RunMetricsFile, b: RunMetricsFile): CompareRow[] {
  const variants = [...new Set([...Object.keys(a.variants), ...Object.keys(b.variants)])];
  const metrics = [...new Set([...a.metrics, ...b.metrics])].filter((m) => m in METRICS);
  const rows: CompareRow[] = [];
  for (const variant of variants) {
    for (const metric of metrics) {
      const va = meanOf(a, variant, metric);
      const vb = meanOf(b, variant, metric);
      if (va === null && vb === null) continue;
      let verdict: CompareRow['verdict'];
      let delta: number | null = null;
      if (va === null) verdict = 'only in B';
      else if (vb === null) verdict = 'only in A';
      else {
        delta = vb - va;
        const gain = improvement(metric, vb, va);
        // Differences below the printed precision are "same".
        verdict =
          Math.abs(gain) < 0.5 * 10 ** -METRICS[metric].digits || Number.isNaN(gain)
            ? 'same'
            : gain > 0
              ? 'better'
              : 'worse';
      }
      rows.push({ variant, metric, a: va, b: vb, delta, verdict });
    }
  }
  return rows;
}

/** Own keys only: a variant named `constructor` or `toString` is a name, not an Object member. */
function meanOf(file: RunMetricsFile, variant: string, metric: MetricName): number | null {
  const v = Object.hasOwn(file.variants, variant) ? file.variants[variant] : undefined;
  const s = v && Object.hasOwn(v.summary, metric) ? v.summary[metric] : undefined;
  return typeof s?.mean === 'number' ? s.mean : null;
}

function signed(metric: MetricName, d: number | null): string {
  if (d === null) return '';
  const s = formatMetric(metric, d);
  return d > 0 ? `+${s}` : s;
}

export function formatCompare(rows: CompareRow[], labels: [string, string], markdown: boolean): string {
  const header = ['variant', 'metric', labels[0], labels[1], 'Δ (B - A)', 'B vs A'];
  const body = rows.map((r) => [
    r.variant,
    METRICS[r.metric].label,
    formatMetric(r.metric, r.a),
    formatMetric(r.metric, r.b),
    signed(r.metric, r.delta),
    r.verdict,
  ]);
  if (rows.length === 0) return 'No metrics in common.\n';
  if (markdown) {
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    return [
      `| ${header.map(esc).join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
      '',
    ].join('\n');
  }
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line), ''].join('\n');
}
