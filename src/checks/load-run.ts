// A run's metrics.json from a run directory, a pipeline file or the file itself.
import path from 'node:path';
import type { RunMetricsFile } from '../core/formats/metrics-file.js';
import { UserError } from '../core/errors.js';

export async function loadRunOrFile(arg: string, runsDir?: string): Promise<{ label: string; metrics: RunMetricsFile }> {
  const { readMetricsJson } = await import('../core/formats/metrics-file.js');
  if (arg.endsWith('.json')) {
    const metrics = await readMetricsJson<RunMetricsFile>(arg).catch((err: Error) => {
      throw new UserError('PIPE_METRICS_UNREADABLE', `Cannot read ${arg}: ${err.message}.`, 2);
    });
    if (metrics.format !== 'pipe.run/1') throw new UserError('PIPE_METRICS_UNREADABLE', `${arg} is not a run's metrics.json (format "pipe.run/1").`, 2);
    return { label: arg, metrics };
  }
  const { locateRun } = await import('./locate-run.js');
  const { loadRunMetrics } = await import('./run-dir.js');
  const dir = await locateRun(arg, runsDir);
  return { label: path.relative(process.cwd(), dir) || dir, metrics: (await loadRunMetrics(dir)).metrics };
}
