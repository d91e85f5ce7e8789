// Writes report.html, report.md and the run-level metrics.json into a folder (temp file + rename each).
import path from 'node:path';
import { renderReportHtml } from './html.js';
import { renderReportMarkdown } from './markdown.js';
import { metricsToJson } from '../core/formats/metrics-file.js';
import { writeFileAtomic } from '../core/fs.js';
import type { ReportModel } from './model.js';

export const REPORT_OUTPUTS = ['report.html', 'report.md', 'metrics.json'] as const;

export async function writeReport(model: ReportModel, dir: string): Promise<void> {
  await writeFileAtomic(path.join(dir, 'metrics.json'), metricsToJson(model.run));
  await writeFileAtomic(path.join(dir, 'report.md'), renderReportMarkdown(model));
  await writeFileAtomic(path.join(dir, 'report.html'), renderReportHtml(model));
}
