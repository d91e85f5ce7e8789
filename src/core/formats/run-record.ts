// run.json, the record of one run (runs/<pipeline>/<run-id>/run.json): what was asked, what each stage did,
// and the checks' outcome. The runtime writes it; `pipe runs`, `pipe check` and the report read it.

export const RUN_RECORD = 'run.json';

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
