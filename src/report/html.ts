// report.html: one self-contained file (no network): Chart.js's UMD bundle and every image are
// inlined. Loss curves are drawn by Chart.js; everything else is static HTML.
import { distributionNotes, spreadText } from './distribution-notes.js';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { stringify } from 'yaml';
import { formatMetric, METRICS } from '../ml/metrics/definitions.js';
import type { MetricName } from '../core/formats/metrics-file.js';
import { hasSeedGroups } from './aggregate.js';
import { sharesRows } from './loss-shares.js';
import type { ReportModel, SampleRow } from './model.js';
import { modelCommands } from './model-commands.js';
import { configRows, formatP, groupRows, reportMetrics, type MetricRow } from './tables.js';

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe inside <script>. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');

let chartJs: string | undefined;
function chartBundle(): string {
  if (chartJs === undefined) {
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve('chart.js'));
    chartJs = fs.readFileSync(path.join(dist, 'chart.umd.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
  }
  return chartJs;
}

function summaryCell(metric: MetricName, row: MetricRow, showTest: boolean): string {
  const c = row.cells[metric];
  if (!c?.summary) return '<td class="na">n/a</td>';
  const s = c.summary;
  const spread = spreadText(metric, s);
  const interval = spread ? `<span class="ci">${esc(spread)}</span>` : '';
  const delta =
    c.delta === null
      ? ''
      : `<span class="delta ${c.delta > 0 ? 'better' : c.delta < 0 ? 'worse' : ''}">${c.delta > 0 ? '+' : ''}${formatMetric(metric, c.delta)}</span>`;
  const test =
    showTest && c.test
      ? `<span class="p" title="paired t-test vs baseline, n=${c.test.n}">p ${formatP(c.test.p)}</span>`
      : '';
  // Mean, star and change on the first line, interval (and p) below: keeps wide tables on screen.
  return `<td class="${c.best ? 'best' : ''}"><span class="mean">${formatMetric(metric, s.mean)}</span>${c.best ? ' <span class="star" title="best">★</span>' : ''} ${delta}<br>${interval} ${test}</td>`;
}

function metricsTable(
  id: string,
  rows: MetricRow[],
  metrics: MetricName[],
  opts: { nLabel?: string; showTest?: boolean },
): string {
  const head = metrics
    .map(
      (m) =>
        `<th title="${esc(METRICS[m].description)}">${esc(METRICS[m].label)} ${METRICS[m].higherIsBetter ? '↑' : '↓'}</th>`,
    )
    .join('');
  const body = rows
    .map(
      (r) =>
        `<tr${r.isBaseline ? ' class="baseline"' : ''}><th scope="row">${esc(r.label)}${r.isBaseline ? ' <span class="tag">baseline</span>' : ''}</th>` +
        (opts.nLabel ? `<td>${r.n}</td>` : '') +
        metrics.map((m) => summaryCell(m, r, Boolean(opts.showTest))).join('') +
        '</tr>',
    )
    .join('\n');
  return `<table id="${id}" class="metrics"><thead><tr><th>${opts.nLabel ? 'group' : 'config'}</th>${opts.nLabel ? `<th>${opts.nLabel}</th>` : ''}${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function pairedTable(model: ReportModel, metrics: MetricName[]): string {
  const run = model.run;
  const rows: string[] = [];
  for (const [name, g] of Object.entries(run.groups)) {
    for (const m of metrics) {
      const t = g.vs_baseline?.[m];
      if (!t) continue;
      rows.push(
        `<tr><th scope="row">${esc(name)}</th><td>${esc(METRICS[m].label)}</td><td>${t.n}</td><td>${formatMetric(m, t.mean_diff)}</td><td>${Number.isFinite(t.t) ? t.t.toFixed(3) : esc(t.t)}</td><td>${formatP(t.p)}</td></tr>`,
      );
    }
  }
  if (!rows.length) return '';
  return `<h3>Paired tests vs ${esc(run.baseline)}</h3>
<p class="note">Paired two-sided t-test on per-image values (each image's value averaged over a group's seeds), group minus baseline.</p>
<table id="paired-tests"><thead><tr><th>group</th><th>metric</th><th>images</th><th>mean difference</th><th>t</th><th>p</th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}

function checksTable(model: ReportModel): string {
  if (!model.checks.length) return '<p class="note">No checks defined.</p>';
  const rows = model.checks
    .map(
      (c) =>
        `<tr class="${c.pass ? 'pass' : 'fail'}"><td>${esc(c.label)}</td><td>${c.value === null ? 'n/a' : esc(formatMetric(c.metric as MetricName, c.value))}${c.field !== 'mean' ? ` (${c.field})` : ''}</td><td>${esc(c.thresholdText || c.note || '')}</td><td>${c.pass ? 'PASS' : 'FAIL'}</td></tr>`,
    )
    .join('\n');
  return `<table id="checks"><thead><tr><th>check</th><th>value</th><th>threshold</th><th>result</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function samplesGrid(direction: string, rows: SampleRow[], configs: string[]): string {
  const img = (src: string | null, alt: string) =>
    src ? `<img src="${src}" alt="${esc(alt)}" loading="eager">` : '<span class="na">n/a</span>';
  const head = `<tr><th>image</th><th>input</th>${configs.map((c) => `<th>${esc(c)}</th>`).join('')}<th>target</th></tr>`;
  const body = rows
    .map(
      (r) =>
        `<tr><th scope="row">${esc(r.name)}</th><td>${img(r.input, `input ${r.name}`)}</td>${configs
          .map((c) => `<td>${img(r.outputs[c] ?? null, `${c} ${r.name}`)}</td>`)
          .join('')}<td>${img(r.target, `target ${r.name}`)}</td></tr>`,
    )
    .join('\n');
  const title = direction === 'AtoB' ? 'A → B (model input → output)' : 'B → A (CycleGAN reverse generator)';
  return `<h3>${esc(title)}</h3><div class="scroll"><table id="samples-${esc(direction)}" class="samples"><thead>${head}</thead><tbody>${body}</tbody></table></div>`;
}

function overridesText(o: Record<string, unknown>): string {
  const entries = Object.entries(o);
  return entries.length
    ? entries.map(([k, v]) => `${k} = ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ')
    : '(base config)';
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"DejaVu Sans",sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#1d2330;background:#fff}
h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #dde2ea;padding:4px 8px;text-align:left;vertical-align:top}
thead th{background:#f3f5f9}.metrics td,.metrics th{white-space:nowrap}.mean{font-weight:600}.ci{color:#667;font-size:12px}
.best{background:#eaf7ea}.star{color:#d49a00}.delta{font-size:12px;margin-left:4px}.better{color:#16803c}.worse{color:#b42318}
.p{font-size:12px;color:#445;margin-left:4px}.tag{font-size:11px;background:#e8ecf4;border-radius:3px;padding:1px 4px;margin-left:4px}
.pass td:last-child{color:#16803c;font-weight:600}.fail td:last-child{color:#b42318;font-weight:600}
.summary{display:inline-block;padding:2px 8px;border-radius:4px;font-weight:600}.summary.ok{background:#eaf7ea;color:#16803c}.summary.bad{background:#fdecea;color:#b42318}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:16px}.chart{border:1px solid #dde2ea;padding:8px;height:260px}
.samples img{width:128px;height:128px;image-rendering:auto;display:block}.scroll{overflow-x:auto}
pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px}.note{color:#556;font-size:13px}.na{color:#999}
`;

function sharesSection(model: ReportModel): string {
  const rows = sharesRows(model);
  if (!rows.length) return '';
  const body = rows.map((r) => `<tr><td>${esc(r.id)}</td><td>${r.epoch}</td><td>${esc(r.text)}</td></tr>`).join('\n');
  return `<h3>Generator loss shares</h3><p class="note">Each weighted term's share of the generator loss, first and last epoch (mean over the epoch's logged steps).</p>
<table id="loss-shares"><thead><tr><th>config</th><th>epoch</th><th>shares</th></tr></thead><tbody>
${body}
</tbody></table>`;
}

// eslint-disable-next-line max-lines-per-function -- one HTML template
export function renderReportHtml(model: ReportModel): string {
  const metrics = reportMetrics(model.run);
  const run = model.run;
  const failed = model.checks.filter((c) => !c.pass).length;
  const checkBadge = model.checks.length
    ? `<span id="check-summary" class="summary ${failed ? 'bad' : 'ok'}">${failed ? `${failed} of ${model.checks.length} checks failed` : `all ${model.checks.length} checks passed`}</span>`
    : '';
  const configIds = Object.keys(run.configs);
  const lossData = Object.entries(model.losses).map(([id, s]) => ({ id, steps: s.steps, terms: s.terms }));
  // Terms that are 0 throughout (a disabled loss, e.g. style weight 0) get no chart.
  const terms = [...new Set(lossData.flatMap((d) => Object.keys(d.terms)))].filter((t) =>
    lossData.some((d) => d.terms[t]?.some((v) => v !== 0 && !Number.isNaN(v))),
  );
  const base = { ...model.params.base } as Record<string, unknown>;
  const seedSection = hasSeedGroups(run)
    ? `<h3>Seed-averaged</h3><p class="note">Mean of the seed means with a 95 % Student-t interval across seeds; p: paired t-test vs the baseline on per-image values.</p><div class="scroll">${metricsTable('seed-table', groupRows(run), metrics, { nLabel: 'seeds', showTest: true })}</div>`
    : '';
  const stageRows = model.stages
    .map(
      (s) =>
        `<tr><td>${esc(s.id)}</td><td>${esc(s.kind)}</td><td>${esc(s.status)}</td><td>${s.seconds === null ? '' : s.seconds.toFixed(1)}</td><td>${esc(s.backend ?? '')}</td></tr>`,
    )
    .join('\n');
  const speedRows = Object.entries(run.configs)
    .filter(([, c]) => c.speed)
    .map(
      ([id, c]) =>
        `<tr><td>${esc(id)}</td><td>${c.speed!.images_per_second.toFixed(2)}</td><td>${c.speed!.ms_per_image.toFixed(1)}</td><td>${esc(c.speed!.backend)}</td></tr>`,
    )
    .join('\n');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(model.title)} — pipe report</title><style>${STYLE}</style></head>
<body>
<h1>${esc(model.title)}</h1>
${model.description ? `<p>${esc(model.description)}</p>` : ''}
<p class="note">Generated ${esc(model.generatedAt)} · split <b>${esc(Object.values(run.configs)[0]?.split ?? '')}</b> · baseline <b>${esc(run.baseline ?? 'none')}</b> ${checkBadge}</p>

<h2>Metrics</h2>
<p class="note">Mean over the evaluation images with the 95 % bootstrap interval; ★ best per column; the coloured number is the change vs the baseline, signed so that + is better (↑ higher is better, ↓ lower is better).</p>
<div class="scroll">${metricsTable('metrics-table', configRows(run), metrics, {})}</div>
${distributionNotes(run)
  .map((n) => `<p class="note distribution">${esc(n)}</p>`)
  .join('\n')}
${seedSection}
${pairedTable(model, metrics)}

<h2>Checks</h2>
${checksTable(model)}

<h2>Loss curves</h2>
<div class="charts">${terms.map((t, i) => `<div class="chart"><canvas id="loss-${i}" class="loss-chart" data-term="${esc(t)}"></canvas></div>`).join('')}</div>
${terms.length ? '' : '<p class="note">No losses were logged.</p>'}
${sharesSection(model)}

<h2>Samples</h2>
<p class="note">Input | each config's output | target. Unaligned data has no target.</p>
${Object.entries(model.samples)
  .map(([d, rows]) => samplesGrid(d, rows!, configIds))
  .join('\n')}

<h2>Use the models</h2>
<p class="note">From the pipeline's folder: apply a config's generator to new images, or export it (see docs/models-in-and-out.md).</p>
<div id="model-commands">${modelCommands(model.params)
    .map((m) => `<h3>${esc(m.config)}</h3><pre>${esc([m.predict, ...m.exports].join('\n'))}</pre>`)
    .join('\n')}</div>

<h2>Pipeline</h2>
<table id="variants"><thead><tr><th>config</th><th>variant</th><th>differences from the base</th></tr></thead><tbody>
${model.params.configs.map((c) => `<tr><td>${esc(c.id)}</td><td>${esc(c.variant)}</td><td>${esc(overridesText(c.overrides))}</td></tr>`).join('\n')}
</tbody></table>
<details><summary>Base configuration</summary><pre>${esc(stringify(base))}</pre></details>

<h2>Stages</h2>
${stageRows ? `<table id="stages"><thead><tr><th>stage</th><th>kind</th><th>status</th><th>seconds</th><th>backend</th></tr></thead><tbody>${stageRows}</tbody></table>` : '<p class="note">No stage timings recorded.</p>'}
${speedRows ? `<h3>Generator speed (batch 1, after warm-up)</h3><table id="speed"><thead><tr><th>config</th><th>images/s</th><th>ms/image</th><th>backend</th></tr></thead><tbody>${speedRows}</tbody></table>` : ''}

<script>${chartBundle()}</script>
<script type="application/json" id="loss-data">${scriptJson(lossData)}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('loss-data').textContent);
  var colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  var drawn = 0;
  document.querySelectorAll('canvas.loss-chart').forEach(function (canvas) {
    var term = canvas.getAttribute('data-term');
    var datasets = data.filter(function (d) { return d.terms[term]; }).map(function (d, i) {
      return {
        label: d.id,
        data: d.steps.map(function (s, j) { return { x: s, y: d.terms[term][j] }; }).filter(function (p) { return p.y === p.y; }),
        borderColor: colors[data.indexOf(d) % colors.length],
        backgroundColor: colors[data.indexOf(d) % colors.length],
        borderWidth: 1.5, pointRadius: 0, tension: 0.1
      };
    });
    new Chart(canvas, {
      type: 'line',
      data: { datasets: datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
        plugins: { title: { display: true, text: term }, legend: { position: 'bottom' } },
        scales: { x: { type: 'linear', title: { display: true, text: 'step' } }, y: { title: { display: true, text: term } } }
      }
    });
    drawn++;
  });
  window.__pipeReport = { charts: drawn };
})();
</script>
</body></html>
`;
}
