// report.md: the metrics table and the check results in Markdown, for a CI job summary or a PR comment.
import { formatMetric, METRICS } from '../ml/metrics/definitions.js';
import type { MetricName } from '../core/formats/metrics-file.js';
import { distributionNotes, spreadText } from './distribution-notes.js';
import { formatChecksMarkdown } from '../checks/evaluate-checks.js';
import { hasSeedGroups } from './aggregate.js';
import type { ReportModel } from './model.js';
import { modelCommandsMarkdown } from './model-commands.js';
import { sharesRows } from './loss-shares.js';
import { configRows, formatP, groupRows, reportMetrics, type MetricRow } from './tables.js';

const cellText = (m: MetricName, r: MetricRow, showTest: boolean): string => {
  const c = r.cells[m];
  if (!c?.summary) return 'n/a';
  const s = c.summary;
  let t = `${c.best ? '**' : ''}${formatMetric(m, s.mean)}${c.best ? '** ★' : ''}`;
  const spread = spreadText(m, s);
  if (spread) t += ` ${spread}`;
  if (c.delta !== null) t += ` (${c.delta > 0 ? '+' : ''}${formatMetric(m, c.delta)})`;
  if (showTest && c.test) t += ` p ${formatP(c.test.p)}`;
  return t;
};

function table(rows: MetricRow[], metrics: MetricName[], first: string, showN: boolean, showTest: boolean): string {
  const head = [
    first,
    ...(showN ? ['seeds'] : []),
    ...metrics.map((m) => `${METRICS[m].label} ${METRICS[m].higherIsBetter ? '↑' : '↓'}`),
  ];
  const lines = rows.map((r) =>
    [
      `${r.label}${r.isBaseline ? ' (baseline)' : ''}`,
      ...(showN ? [String(r.n)] : []),
      ...metrics.map((m) => cellText(m, r, showTest)),
    ]
      .map((s) => s.replace(/\|/g, '\\|'))
      .join(' | '),
  );
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l} |`)].join(
    '\n',
  );
}

export function renderReportMarkdown(model: ReportModel): string {
  const run = model.run;
  const metrics = reportMetrics(run);
  const failed = model.checks.filter((c) => !c.pass).length;
  const out = [
    `## ${model.title}${model.checks.length ? (failed ? ` — ❌ ${failed} of ${model.checks.length} checks failed` : ` — ✅ all ${model.checks.length} checks passed`) : ''}`,
    '',
    model.description ? `${model.description}\n` : '',
    `Mean over the ${Object.values(run.configs)[0]?.split ?? ''} images [95 % bootstrap interval]; ★ best; (±) change vs baseline \`${run.baseline ?? 'none'}\`, + = better.`,
    '',
    table(configRows(run), metrics, 'config', false, false),
    '',
    ...distributionNotes(run).flatMap((n) => [n, '']),
  ];
  if (hasSeedGroups(run)) {
    out.push(
      '### Seed-averaged',
      '',
      'Mean of seed means [95 % Student-t interval across seeds]; p: paired t-test vs the baseline on per-image values.',
      '',
      table(groupRows(run), metrics, 'group', true, true),
      '',
    );
  }
  const shares = sharesRows(model);
  if (shares.length) {
    out.push(
      '### Generator loss shares',
      '',
      "Each weighted term's share of the generator loss (mean over the epoch's logged steps).",
      '',
      '| config | epoch | shares |',
      '|---|---|---|',
      ...shares.map((r) => `| ${r.id} | ${r.epoch} | ${r.text} |`),
      '',
    );
  }
  out.push('### Checks', '', formatChecksMarkdown(model.checks));
  out.push('', modelCommandsMarkdown(model.params));
  return out.join('\n');
}
