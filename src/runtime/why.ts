// Explains a cache miss by comparing a stage's fingerprint parts with the last ones recorded for
// the same stage id of the same pipeline (a small index in the cache directory).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from '../core/canonical-json.js';
import type { Fingerprint, FingerprintDetails } from './fingerprint.js';

export type MissReason =
  'never-run' | 'params-changed' | 'input-changed' | 'sources-changed' | 'version-changed' | 'evicted';

export interface Why {
  reason: MissReason;
  /** Dotted param keys, input names or source files that differ. */
  keys?: string[];
  text: string;
}

export interface IndexEntry {
  fingerprint: string;
  details: FingerprintDetails;
}

export type FingerprintIndex = Record<string, IndexEntry>;

function indexFile(cacheDir: string, pipeline: string): string {
  return path.join(cacheDir, 'index', `${encodeURIComponent(pipeline)}.json`);
}

export async function readIndex(cacheDir: string, pipeline: string): Promise<FingerprintIndex> {
  try {
    return JSON.parse(await readFile(indexFile(cacheDir, pipeline), 'utf8')) as FingerprintIndex;
  } catch {
    return {};
  }
}

/** Records the fingerprints of stages that finished (or were found cached) in this run. */
export async function updateIndex(
  cacheDir: string,
  pipeline: string,
  fingerprints: Record<string, Fingerprint>,
  stageIds: Iterable<string>,
): Promise<void> {
  const index = await readIndex(cacheDir, pipeline);
  for (const id of stageIds) {
    const fp = fingerprints[id];
    if (fp) index[id] = { fingerprint: fp.value, details: fp.details };
  }
  const file = indexFile(cacheDir, pipeline);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(index));
  await rename(tmp, file);
}

/** Why `current` is not in the cache, given what the index last saw for this stage id. */
export function explainMiss(previous: IndexEntry | undefined, current: Fingerprint): Why {
  if (!previous) return { reason: 'never-run', text: 'never run' };
  if (previous.fingerprint === current.value) {
    return { reason: 'evicted', text: 'was run, but its cache entry is gone (gc, another cache dir, or a failed run)' };
  }
  const a = previous.details;
  const b = current.details;
  if (a.scheme !== b.scheme || a.engine !== b.engine || a.kindVersion !== b.kindVersion || a.kind !== b.kind) {
    return {
      reason: 'version-changed',
      text: `engine or stage version changed (engine ${a.engine} -> ${b.engine}, ${b.kind} v${a.kindVersion} -> v${b.kindVersion})`,
    };
  }
  const params = diffKeys(a.params, b.params);
  if (params.length) return { reason: 'params-changed', keys: params, text: `params changed: ${shortList(params)}` };
  const sources = diffKeys(a.sources, b.sources);
  if (sources.length) {
    return { reason: 'sources-changed', keys: sources, text: `input files changed: ${shortList(sources)}` };
  }
  const inputs = diffKeys(a.inputs, b.inputs);
  return { reason: 'input-changed', keys: inputs, text: `upstream changed: ${shortList(inputs)}` };
}

function shortList(keys: string[]): string {
  return keys.length > 4 ? `${keys.slice(0, 4).join(', ')} (+${keys.length - 4} more)` : keys.join(', ');
}

/** Dotted paths whose values differ (arrays compare as one value). */
export function diffKeys(a: unknown, b: unknown, prefix = ''): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(a) || !isObj(b)) return canonicalJson(a) === canonicalJson(b) ? [] : [prefix || '(value)'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((k) => diffKeys(a[k], b[k], prefix ? `${prefix}.${k}` : k));
}
