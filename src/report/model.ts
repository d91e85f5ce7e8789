// Everything a report shows, gathered from stage outputs into one plain object that the HTML and
// Markdown renderers turn into text (they do no I/O).
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ReportParams } from '../core/stage-params.js';
import { evaluateChecks, type CheckResult } from '../checks/evaluate-checks.js';
import { aggregateRun, type ConfigRef } from './aggregate.js';
import { readLosses, type LossSeries } from './losses.js';
import { type Direction, type EvaluateMetricsFile, type RunMetricsFile } from '../core/formats/metrics-file.js';
import { readMetricsFile } from '../core/formats/metrics-read.js';
import { DOES_NOT_EXIST, FileFormatError } from '../core/formats/read-json.js';
import { readStageRecord, STAGE_RECORD } from '../core/formats/stage-record.js';

export interface StageTiming {
  id: string;
  kind: string;
  status: string;
  seconds: number | null;
  backend: string | null;
}

export interface SampleRow {
  name: string;
  input: string | null;
  /** config id -> data URI of that config's output. */
  outputs: Record<string, string | null>;
  target: string | null;
}

export interface ReportModel {
  title: string;
  description: string;
  generatedAt: string;
  params: ReportParams;
  run: RunMetricsFile;
  checks: CheckResult[];
  losses: Record<string, LossSeries>;
  samples: Partial<Record<Direction, SampleRow[]>>;
  stages: StageTiming[];
}

/** Where the report stage (or `pipe report RUN`) finds the outputs of its inputs. */
export interface ReportSources {
  params: ReportParams;
  /** config id -> train stage output directory. */
  trainDirs: Record<string, string>;
  /** config id -> evaluate stage output directory. */
  evaluateDirs: Record<string, string>;
  /** Known stage timings (from run.json, or from the inputs' stage.json). */
  stages?: StageTiming[];
}

async function dataUri(file: string): Promise<string | null> {
  try {
    return `data:image/png;base64,${(await fs.readFile(file)).toString('base64')}`;
  } catch {
    return null;
  }
}

const stem = (name: string) => name.replace(/\.[^.]+$/, '');

async function sampleRows(
  direction: Direction,
  configs: ConfigRef[],
  evaluations: Record<string, EvaluateMetricsFile>,
  dirs: Record<string, string>,
  count: number,
): Promise<SampleRow[]> {
  const first = configs.find((c) => evaluations[c.id]?.directions[direction]);
  if (!first || count <= 0) return [];
  const names = Object.keys(evaluations[first.id].directions[direction]!.images).slice(0, count);
  const rows: SampleRow[] = [];
  for (const name of names) {
    const png = `${stem(name)}.png`;
    const outputs: Record<string, string | null> = {};
    for (const c of configs) {
      const d = evaluations[c.id]?.directions[direction];
      outputs[c.id] = d ? await dataUri(path.join(dirs[c.id], d.outputs, png)) : null;
    }
    rows.push({
      name,
      input: await dataUri(path.join(dirs[first.id], 'inputs', direction, png)),
      outputs,
      target: await dataUri(path.join(dirs[first.id], 'targets', direction, png)),
    });
  }
  return rows;
}

/** Timing and backend from each input's stage.json, for the report stage (no run directory yet). */
export async function timingsFromStageRecords(dirs: Record<string, string>): Promise<StageTiming[]> {
  const out: StageTiming[] = [];
  for (const [id, dir] of Object.entries(dirs)) {
    try {
      const rec = await readStageRecord(path.join(dir, STAGE_RECORD));
      out.push({
        id,
        kind: rec.kind ?? id.split('/')[0],
        status: 'done',
        seconds: rec.seconds ?? null,
        backend: rec.backend?.name ?? null,
      });
    } catch (err) {
      // Inputs published without a record (tests) have no timing; a damaged record is exit 2 naming it.
      if (!(err instanceof FileFormatError && err.problem === DOES_NOT_EXIST)) throw err;
    }
  }
  return out;
}

export async function buildReportModel(src: ReportSources): Promise<ReportModel> {
  const p = src.params;
  const evaluations: Record<string, EvaluateMetricsFile> = {};
  for (const c of p.configs) {
    const dir = src.evaluateDirs[c.id];
    if (!dir) throw new Error(`report: no evaluate output for config "${c.id}"`);
    evaluations[c.id] = await readMetricsFile(path.join(dir, 'metrics.json'), ['pipe.evaluate/1']);
  }
  const run = aggregateRun({
    pipeline: p.name,
    baseline: p.report.baseline,
    configs: p.configs,
    evaluations,
    checks: p.checks,
  });
  const losses: Record<string, LossSeries> = {};
  for (const c of p.configs)
    if (src.trainDirs[c.id]) losses[c.id] = await readLosses(path.join(src.trainDirs[c.id], 'losses.jsonl'));
  const samples: ReportModel['samples'] = {};
  for (const d of ['AtoB', 'BtoA'] as const) {
    const rows = await sampleRows(d, p.configs, evaluations, src.evaluateDirs, p.report.samples);
    if (rows.length) samples[d] = rows;
  }
  return {
    title: p.name,
    description: p.description,
    generatedAt: new Date().toISOString(),
    params: p,
    run,
    checks: evaluateChecks(p.checks, run),
    losses,
    samples,
    stages: src.stages ?? [],
  };
}
