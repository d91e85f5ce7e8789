// Entry point `pipe run` imports lazily: checks of a finished run, as text plus an exit code.
import { isUserFacing } from '../core/errors.js';
import type { AnyMetricsFile } from '../core/formats/metrics-file.js';
import { readMetricsFile } from '../core/formats/metrics-read.js';
import { evaluateChecks, formatChecksMarkdown, formatChecksText, type CheckResult } from './evaluate-checks.js';
import { loadRunMetrics } from './run-dir.js';

export { evaluateChecks, formatChecksMarkdown, formatChecksText, type CheckResult } from './evaluate-checks.js';
export { findRunMetrics, latestRunDir, loadRunMetrics, resolveStageDir, RunNotReadyError } from './run-dir.js';

export interface RunChecksOptions {
  /** A stored metrics.json for `max_drop_vs` (instead of another variant of this run). */
  baselineFile?: string;
  markdown?: boolean;
}

export interface RunChecksOutcome {
  /** 0 all pass (or no checks), 1 a check failed, 2 run missing/incomplete. */
  exitCode: number;
  text: string;
  results?: CheckResult[];
}

export async function runChecksForRun(runDir: string, options: RunChecksOptions = {}): Promise<RunChecksOutcome> {
  try {
    const { metrics } = await loadRunMetrics(runDir);
    let baseline: AnyMetricsFile | undefined;
    if (options.baselineFile) baseline = await readBaseline(options.baselineFile);
    const results = evaluateChecks(metrics.checks ?? [], metrics, { baseline, baselineLabel: options.baselineFile });
    const text = options.markdown ? formatChecksMarkdown(results) : formatChecksText(results);
    return { exitCode: results.some((r) => !r.pass) ? 1 : 0, text, results };
  } catch (err) {
    if (isUserFacing(err)) return { exitCode: err.exitCode, text: `pipe: ${err.message}\n` };
    throw err;
  }
}

async function readBaseline(file: string): Promise<AnyMetricsFile> {
  // Damaged or foreign baselines are exit 2 naming the file and field (a gate never passes on bad data).
  return readMetricsFile(file);
}
