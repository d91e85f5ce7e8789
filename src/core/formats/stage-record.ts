// stage.json, the record a finished stage leaves in its cache entry (<cache>/<fp[0:2]>/<fp>/stage.json, copied
// next to the run's stage link): what ran, with which params and inputs, how long it took and where. Adding a
// field here changes no fingerprint: fingerprints hash the stage's params and inputs, never this record.
import { checkFields, checkVersion, isJsonObject } from './json-fields.js';
import { readJsonFile } from './read-json.js';

export const STAGE_RECORD = 'stage.json';
/** The stage.json format this build writes; a record without `format` is read as this version 1. */
export const STAGE_RECORD_FORMAT = 'pipe.stage/1';

export interface StageRecord {
  /** Absent in records written before pipe recorded it (read as version 1). */
  format?: typeof STAGE_RECORD_FORMAT;
  stageId?: string;
  kind?: string;
  kindVersion?: unknown;
  fingerprint?: string;
  params?: Record<string, unknown>;
  inputs?: Record<string, unknown>;
  startedAt?: string;
  finishedAt?: string;
  seconds?: number;
  /** What the stage ran on (`name`, threads, device), or null for stages that use no engine. */
  backend?: ({ name?: string } & Record<string, unknown>) | null;
  summary?: unknown;
  engine?: string;
  /** Host and pid of the process that computed the stage. */
  worker?: string;
}

/**
 * Reads a stage.json, checking its version and the fields readers use (kind, seconds, backend, worker, params).
 * A FileFormatError (exit 2) names the file and the field otherwise.
 */
export async function readStageRecord(file: string): Promise<StageRecord> {
  return readJsonFile<StageRecord>(file, {
    what: `a stage record (${STAGE_RECORD_FORMAT})`,
    hint: 'It is written when a stage finishes; remove the damaged cache entry and rerun to recompute the stage.',
    check: (v) =>
      isJsonObject(v)
        ? (checkVersion(v, STAGE_RECORD_FORMAT) ??
          checkFields(v, {
            kind: 'string?',
            seconds: 'number?',
            backend: 'object?',
            worker: 'string?',
            params: 'object?',
            startedAt: 'string?',
          }))
        : checkFields(v, {}),
  });
}
