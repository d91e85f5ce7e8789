// What crosses Redis between the coordinator and the workers: a StageJob as plain JSON (stage id,
// kind, fingerprint, params, input fingerprints, env), never command text. Workers re-check the
// shape because anyone who can write to the queue can write a job.
import type { StageProgress } from '../../core/progress.js';
import type { StageJob } from '../types.js';

export { DEFAULT_QUEUE_NAME } from './defaults.js';

/** What a worker returns for a finished job (BullMQ stores it as the job's return value). */
export interface QueueJobResult {
  worker: string;
  seconds: number;
  /** Log file on the worker's machine. */
  logFile?: string;
  /** True when the entry was already in the shared store and nothing ran. */
  cached?: boolean;
}

/** Progress as published by a worker: the stage's own report plus who is running it. */
export interface QueueProgress extends StageProgress {
  worker: string;
}

// Fingerprints name cache directories and BullMQ job ids: keep them to characters that are safe
// in both (no path separators, no ':' which BullMQ reserves).
const FINGERPRINT = /^[A-Za-z0-9_-]{8,128}$/;

export function isSafeFingerprint(fp: unknown): fp is string {
  return typeof fp === 'string' && FINGERPRINT.test(fp);
}

/** Checks a job payload read from Redis; throws a plain Error naming the first problem. */
export function parseStageJob(data: unknown): StageJob {
  const fail = (why: string): never => {
    throw new Error(`malformed stage job in the queue: ${why}`);
  };
  if (!isObject(data)) return fail('not an object');
  const { stageId, kind, fingerprint, params, inputs, env } = data;
  if (typeof stageId !== 'string' || stageId === '') fail('stageId must be a non-empty string');
  if (typeof kind !== 'string' || !/^[A-Za-z0-9_-]+$/.test(kind)) fail('kind must be a stage kind name');
  if (!isSafeFingerprint(fingerprint)) fail('fingerprint must be 8-128 letters, digits, "-" or "_"');
  if (!isObject(params)) fail('params must be an object');
  if (!isObject(inputs)) fail('inputs must be an object');
  for (const [name, fp] of Object.entries(inputs as Record<string, unknown>)) {
    if (!isSafeFingerprint(fp)) fail(`input "${name}" must be a fingerprint`);
  }
  if (!isObject(env) || typeof env.projectDir !== 'string') fail('env.projectDir must be a string');
  const { webgpu } = env as Record<string, unknown>;
  if (webgpu !== undefined && !isObject(webgpu)) fail('env.webgpu must be an object');
  return data as unknown as StageJob;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
