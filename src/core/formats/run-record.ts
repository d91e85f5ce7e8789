// run.json, the record of one run (runs/<pipeline>/<run-id>/run.json): what was asked, what each stage did,
// and the checks' outcome. The runtime writes it; `pipe runs`, `pipe check` and the report read it. Also the
// runs folder's layout: where it is, and which run is the newest.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkEach, checkFields, checkVersion, isJsonObject, type FieldSpec } from './json-fields.js';
import { readJsonFile } from './read-json.js';

export const RUN_RECORD = 'run.json';
/** The run.json format this build writes; a record without `format` is read as this version 1. */
export const RUN_RECORD_FORMAT = 'pipe.run-record/1';
/** runs/<pipeline>/latest -> <run-id>: the newest finished run, swapped atomically by the runtime. */
export const LATEST_LINK = 'latest';

/** The runs folder: --runs-dir, else PIPE_RUNS_DIR, else runs/ (relative ones against the project directory). */
export function resolveRunsDir(
  option: string | undefined,
  projectDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return path.resolve(projectDir, option || env.PIPE_RUNS_DIR || 'runs'); // an empty value counts as unset
}

/** The run folders of one pipeline folder (runs/<pipeline>/), without the `latest` link. */
export async function runDirsOf(pipelineDir: string): Promise<string[]> {
  const entries = await readdir(pipelineDir, { withFileTypes: true }).catch(() => []); // no folder: no runs
  return entries.filter((e) => e.isDirectory() && e.name !== LATEST_LINK).map((e) => path.join(pipelineDir, e.name));
}

/**
 * The newest of some run folders: by the time of their run.json (else of the folder), later name first on a tie
 * (run ids start with their start time). Undefined when there is none.
 */
export async function newestRunDir(dirs: readonly string[]): Promise<string | undefined> {
  let best: { dir: string; time: number } | undefined;
  for (const dir of dirs) {
    // A folder that vanished meanwhile (pipe gc) is simply not a candidate.
    const st =
      (await stat(path.join(dir, RUN_RECORD)).catch(() => undefined)) ?? (await stat(dir).catch(() => undefined));
    if (!st) continue;
    const time = st.birthtimeMs || st.mtimeMs;
    if (!best || time > best.time || (time === best.time && dir > best.dir)) best = { dir, time };
  }
  return best?.dir;
}

/** Pipeline names and stage ids as folder names under runs/ (stage ids keep their `/` as subfolders). */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._=-]+/g, '_').replace(/^\.+/, '_') || 'pipeline';
}

export interface RunRecordStage {
  kind: string;
  configs: string[];
  status: string;
  fingerprint: string;
  seconds?: number;
  startedAt?: string;
  finishedAt?: string;
  backend?: unknown;
  worker?: string;
  logFile?: string;
  error?: string;
  reason?: string;
  cacheEntry?: string;
}

export interface RunRecord {
  /** Absent in records written before pipe recorded it (read as version 1). */
  format?: typeof RUN_RECORD_FORMAT;
  pipeline: string;
  runId: string;
  file: string;
  status: 'running' | 'done' | 'failed' | 'interrupted';
  startedAt: string;
  finishedAt?: string;
  seconds?: number;
  executor: string;
  options: Record<string, unknown>;
  versions: Record<string, string>;
  locations: Record<string, string | undefined>;
  stages: Record<string, RunRecordStage>;
  failed: { stageId: string; error?: string; logFile?: string }[];
  checks?: { exitCode: number; text: string };
  pid?: number;
  /** Host of `pid`: a stale `running` record is only judged on the machine that wrote it. */
  host?: string;
}

/**
 * Reads a run.json, checking its version and the fields its readers use (status, start time, the owning process,
 * each stage's kind and status; a record without a status is taken as unfinished). A FileFormatError (exit 2) names the file and the field otherwise. `stages` may
 * be absent only in a record a reader treats as unfinished; callers that need it check it.
 */
export async function readRunRecord(file: string): Promise<RunRecord> {
  return readJsonFile<RunRecord>(file, {
    what: `a run record (${RUN_RECORD_FORMAT})`,
    hint: 'It is written by `pipe run`; a damaged one belongs to a run that cannot be trusted: rerun the pipeline.',
    check: (v) => {
      if (!isJsonObject(v)) return checkFields(v, {});
      const top: FieldSpec = {
        status: 'string?',
        startedAt: 'string?',
        stages: 'object?',
        pid: 'number?',
        host: 'string?',
      };
      return (
        checkVersion(v, RUN_RECORD_FORMAT) ??
        checkFields(v, top) ??
        (v.stages ? checkEach(v, 'stages', { kind: 'string?', status: 'string', cacheEntry: 'string?' }) : undefined)
      );
    },
  });
}
