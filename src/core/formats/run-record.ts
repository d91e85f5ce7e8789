// run.json, the record of one run (runs/<pipeline>/<run-id>/run.json): what was asked, what each stage did,
// and the checks' outcome. The runtime writes it; `pipe runs`, `pipe check` and the report read it. Also the
// runs folder's layout: where it is, and which run is the newest.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export const RUN_RECORD = 'run.json';
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
