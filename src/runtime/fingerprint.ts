// Stage fingerprints: sha256 over canonical JSON of everything that determines a stage's outputs.
// The parts are returned alongside the hash so `pipe plan` can say why a stage is not cached.
import path from 'node:path';
import type { Dag } from '../compiler/types.js';
import type { StageEnv, StageKind } from '../stages/types.js';
import { canonicalJson, sha256 } from '../core/canonical-json.js';
import type { FileDigests } from './file-digests.js';
import { topologicalOrder } from './graph.js';

/** Bump whenever what goes into a fingerprint, or how, changes. */
export const FINGERPRINT_SCHEME = 1;

export interface FingerprintDetails {
  scheme: number;
  kind: string;
  kindVersion: number;
  params: Record<string, unknown>;
  /** Input name -> upstream fingerprint. */
  inputs: Record<string, string>;
  /** Source file (relative to their common folder) -> sha256. */
  sources: Record<string, string>;
  engine: string;
}

export interface Fingerprint {
  value: string;
  details: FingerprintDetails;
}

export function fingerprintOf(details: FingerprintDetails): Fingerprint {
  return { value: sha256(canonicalJson(details)), details };
}

export interface FingerprintDagOptions {
  env: StageEnv;
  digests: FileDigests;
  loadKind(kind: string): Promise<StageKind<any>>;
  engine: string;
}

/** Fingerprints every stage, upstream first. */
export async function fingerprintDag(dag: Dag, opts: FingerprintDagOptions): Promise<Record<string, Fingerprint>> {
  const out: Record<string, Fingerprint> = {};
  for (const id of topologicalOrder(dag)) {
    const stage = dag.stages[id]!;
    const kind = await opts.loadKind(stage.kind);
    const files = kind.sourceFiles ? await kind.sourceFiles(stage.params, opts.env) : [];
    const inputs: Record<string, string> = {};
    for (const [name, upstream] of Object.entries(stage.inputs)) inputs[name] = out[upstream]!.value;
    out[id] = fingerprintOf({
      scheme: FINGERPRINT_SCHEME,
      kind: stage.kind,
      kindVersion: kind.version,
      params: stage.params,
      inputs,
      sources: await digestSources(files, opts.digests),
      engine: opts.engine,
    });
  }
  return out;
}

/**
 * Keys are paths relative to the files' common folder, so the same dataset in two mirror
 * folders (two machines) gives the same fingerprint, while a renamed file changes it.
 */
export async function digestSources(files: string[], digests: FileDigests): Promise<Record<string, string>> {
  if (files.length === 0) return {};
  const abs = files.map((f) => path.resolve(f));
  const root = commonDir(abs);
  const out: Record<string, string> = {};
  for (const f of abs) out[path.relative(root, f).split(path.sep).join('/')] = await digests.digest(f);
  return out;
}

function commonDir(files: string[]): string {
  let dir = path.dirname(files[0]!);
  for (const f of files) {
    while (!(f + path.sep).startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep)) {
      const up = path.dirname(dir);
      if (up === dir) return dir;
      dir = up;
    }
  }
  return dir;
}
