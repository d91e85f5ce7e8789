// A run's metrics.json from a run directory, a pipeline file or the file itself.
import path from 'node:path';
import type { RunMetricsFile } from '../core/formats/metrics-file.js';

export async function loadRunOrFile(
  arg: string,
  runsDir?: string,
): Promise<{ label: string; metrics: RunMetricsFile }> {
  if (arg.endsWith('.json')) {
    const { readMetricsFile } = await import('../core/formats/metrics-read.js');
    return { label: arg, metrics: await readMetricsFile(arg, ['pipe.run/1']) };
  }
  const { locateRun } = await import('./locate-run.js');
  const { loadRunMetrics } = await import('./run-dir.js');
  const dir = await locateRun(arg, runsDir);
  return { label: path.relative(process.cwd(), dir) || dir, metrics: (await loadRunMetrics(dir)).metrics };
}
