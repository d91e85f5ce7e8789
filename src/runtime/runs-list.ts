// Formatting of `pipe runs`: one line per run.
import path from 'node:path';
import type { RunRecord } from '../core/formats/run-record.js';
import { formatSeconds } from './events.js';
import { isProcessAlive } from './process-alive.js';

export function formatRuns(runs: { dir: string; record: RunRecord }[], cwd: string): string {
  if (runs.length === 0) return 'no runs yet (pipe run FILE writes runs/<pipeline>/<run-id>/)';
  return runs
    .map(({ dir, record }) => {
      const counts: Record<string, number> = {};
      for (const s of Object.values(record.stages ?? {})) counts[s.status] = (counts[s.status] ?? 0) + 1;
      const stages = Object.entries(counts)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ');
      const took = record.seconds !== undefined ? formatSeconds(record.seconds) : '';
      const status =
        record.status === 'running' && record.pid && !isProcessAlive(record.pid) ? 'killed' : record.status;
      const checks = record.checks ? (record.checks.exitCode === 0 ? ' checks ok' : ' checks FAILED') : '';
      return `${String(record.startedAt ?? '')
        .slice(0, 19)
        .replace('T', ' ')}  ${status.padEnd(11)} ${took.padStart(7)}  ${shortPath(cwd, dir)}  (${stages})${checks}`;
    })
    .join('\n');
}

function shortPath(cwd: string, p: string): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') ? rel : p;
}
