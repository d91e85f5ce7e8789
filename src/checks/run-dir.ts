// Finding a run's files: the run-level metrics.json (copied into the run directory, or inside the
// report stage's cache entry that `stages/<id>` points to), and the latest run of a pipeline.
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { newestRunDir, runDirsOf, safeName } from '../core/formats/run-record.js';
import type { RunMetricsFile } from '../core/formats/metrics-file.js';
import { DOES_NOT_EXIST, FileFormatError } from '../core/formats/read-json.js';
import { readRunRecord, RUN_RECORD, type RunRecord } from '../core/formats/run-record.js';
import { readMetricsFile } from '../core/formats/metrics-read.js';
import { pathExists } from '../core/fs.js';

/** Exit code 2: the run is missing or incomplete (not a check failure). */
export class RunNotReadyError extends UserError {
  constructor(message: string) {
    super('PIPE_RUN_INCOMPLETE', message, 2);
  }
}

/**
 * The published output folder of stage `stageId` (e.g. `report`, `evaluate/l1`) as linked from the
 * run directory: `stages/<id>` may be a symlink or folder, or a file holding the path (plain text or
 * JSON with `path`/`dir`/`outDir`).
 */
export async function resolveStageDir(runDir: string, stageId: string): Promise<string | undefined> {
  const link = path.join(runDir, 'stages', ...stageId.split('/').map(safeName));
  // The runtime's layout is stages/<id>/output -> cache entry (next to a copy of stage.json).
  const candidates = [path.join(link, 'output'), link, `${link}.json`, `${link}.link`];
  for (const c of candidates) {
    const st = await fs.stat(c).catch(() => undefined);
    if (!st) continue;
    if (st.isDirectory()) {
      if (c === link && (await pathExists(path.join(c, 'output')))) continue;
      return c;
    }
    const text = (await fs.readFile(c, 'utf8')).trim();
    let target = text;
    try {
      const j = JSON.parse(text) as Record<string, unknown>;
      target = String(j.path ?? j.dir ?? j.outDir ?? j.entry ?? '');
    } catch {
      // plain path
    }
    if (target) {
      const abs = path.resolve(path.dirname(c), target);
      if (await pathExists(abs)) return abs;
    }
  }
  return undefined;
}

/** The run's record, for saying why a run is not ready; undefined when it has none (a damaged one is exit 2). */
async function readRecordIfAny(runDir: string): Promise<RunRecord | undefined> {
  try {
    return await readRunRecord(path.join(runDir, RUN_RECORD));
  } catch (err) {
    if (err instanceof FileFormatError && err.problem === DOES_NOT_EXIST) return undefined;
    throw err;
  }
}

function unfinishedStages(record: RunRecord | undefined): string[] {
  if (!record?.stages) return [];
  const list = Object.entries(record.stages).map(([id, s]) => ({ id, ...s }));
  return list
    .filter((s) => s.status && !['done', 'cached', 'succeeded', 'success', 'skipped-cached'].includes(s.status))
    .map((s) => `${s.id} (${s.status}${s.error ? `: ${s.error.split('\n')[0]}` : ''})`);
}

/** Path of the run's metrics.json; RunNotReadyError (exit 2) when the run is absent or unfinished. */
export async function findRunMetrics(runDir: string): Promise<string> {
  if (!(await pathExists(runDir))) {
    throw new RunNotReadyError(
      `Run ${runDir} does not exist. Give a run directory (runs/<name>/<run-id>) or a pipeline file, or start one with \`pipe run\`.`,
    );
  }
  const direct = path.join(runDir, 'metrics.json');
  if (await pathExists(direct)) return direct;
  const reportDir = await resolveStageDir(runDir, 'report');
  if (reportDir && (await pathExists(path.join(reportDir, 'metrics.json'))))
    return path.join(reportDir, 'metrics.json');
  const record = await readRecordIfAny(runDir);
  const pending = unfinishedStages(record);
  throw new RunNotReadyError(
    `Run ${runDir} is incomplete: it has no metrics.json yet` +
      (pending.length
        ? ` (unfinished stages: ${pending.join(', ')})`
        : record?.status
          ? ` (run status: ${record.status})`
          : '') +
      '. Finish it with `pipe run` on the same pipeline (finished stages come from the cache).',
  );
}

export async function loadRunMetrics(runDir: string): Promise<{ file: string; metrics: RunMetricsFile }> {
  const file = await findRunMetrics(runDir);
  return { file, metrics: await readMetricsFile(file, ['pipe.run/1']) };
}

/** The newest run directory under `runsRoot/<name>/` (by run.json/folder time), or undefined. */
export async function latestRunDir(runsRoot: string, name: string): Promise<string | undefined> {
  return newestRunDir(await runDirsOf(path.join(runsRoot, name)));
}
