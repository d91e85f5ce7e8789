// `pipe report RUN`: re-renders report.html, report.md and metrics.json from a run directory, using
// the report stage's params and inputs recorded in dag.json and the stage outputs the run links to.
import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveStageDir, RunNotReadyError } from '../checks/run-dir.js';
import type { Dag } from '../compiler/types.js';
import type { ReportParams } from '../core/stage-params.js';
import { DOES_NOT_EXIST, FileFormatError } from '../core/formats/read-json.js';
import { readRunRecord, RUN_RECORD, type RunRecord } from '../core/formats/run-record.js';
import { buildReportModel, type ReportModel, type StageTiming } from './model.js';
import { writeReport } from './write.js';

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function renderRunReport(
  runDir: string,
  outDir = runDir,
): Promise<{ model: ReportModel; files: string[] }> {
  const dag = await readJson<Dag>(path.join(runDir, 'dag.json'));
  if (!dag)
    throw new RunNotReadyError(`${runDir} is not a run directory (no readable dag.json). Give runs/<name>/<run-id>.`);
  const report = Object.values(dag.stages).find((s) => s.kind === 'report');
  if (!report) throw new RunNotReadyError(`The pipeline of ${runDir} has no report stage.`);
  const record: Partial<RunRecord> = await readRunRecord(path.join(runDir, RUN_RECORD)).catch((err: unknown) => {
    // A run without a record is still rendered from dag.json and its stage links; a damaged one is exit 2.
    if (err instanceof FileFormatError && err.problem === DOES_NOT_EXIST) return {};
    throw err;
  });
  const trainDirs: Record<string, string> = {};
  const evaluateDirs: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, stageId] of Object.entries(report.inputs)) {
    const cacheEntry = record.stages?.[stageId]?.cacheEntry;
    const dir =
      (await resolveStageDir(runDir, stageId)) ??
      (cacheEntry && (await fs.stat(cacheEntry).catch(() => undefined)) ? cacheEntry : undefined);
    if (!dir) {
      missing.push(`${stageId} (${record.stages?.[stageId]?.status ?? 'no output'})`);
      continue;
    }
    const [kind, id] = [name.slice(0, name.indexOf(':')), name.slice(name.indexOf(':') + 1)];
    if (kind === 'train') trainDirs[id] = dir;
    else if (kind === 'evaluate') evaluateDirs[id] = dir;
  }
  const params = report.params as unknown as ReportParams;
  const needed = params.configs.filter((c) => !evaluateDirs[c.id]).map((c) => `evaluate/${c.id}`);
  if (needed.length) {
    throw new RunNotReadyError(
      `Run ${runDir} is incomplete: ${missing.length ? missing.join(', ') : needed.join(', ')} ha${missing.length === 1 ? 's' : 've'} no output. Finish it with \`pipe run\` (finished stages come from the cache).`,
    );
  }
  const stages: StageTiming[] = Object.entries(record.stages ?? {}).map(([id, s]) => ({
    id,
    kind: s.kind ?? id.split('/')[0],
    status: s.status ?? '',
    seconds: typeof s.seconds === 'number' ? s.seconds : null,
    backend: (s.backend as { name?: string } | null | undefined)?.name ?? null, // the stage's backend info
  }));
  const model = await buildReportModel({ params, trainDirs, evaluateDirs, stages });
  await writeReport(model, outDir);
  return { model, files: ['report.html', 'report.md', 'metrics.json'].map((f) => path.join(outDir, f)) };
}
