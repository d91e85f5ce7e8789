// dataset.json, the manifest of a prepared dataset (a dataset stage's output): which raw uint8 file holds which
// images of each split. Its version field has always been `format: 1` (a number), which every cached dataset
// already carries, so it stays a number: changing it would orphan every prepared dataset in existing caches.
import { checkFields, isJsonObject, type FieldSpec } from './json-fields.js';
import { describeJson, readJsonFile, type FieldProblem } from './read-json.js';

export const PREPARED_FORMAT = 1;
export const PREPARED_MANIFEST = 'dataset.json';

export interface PreparedDomainInfo {
  file: string;
  count: number;
  names: string[];
}

export interface PreparedRoleInfo {
  /** Split name (folder), e.g. train or test. */
  split: string;
  size: number;
  A: PreparedDomainInfo;
  B: PreparedDomainInfo;
}

export interface PreparedManifest {
  format: typeof PREPARED_FORMAT;
  layout: 'aligned' | 'unaligned';
  direction: 'AtoB' | 'BtoA';
  loadSize: number;
  cropSize: number;
  sourceDigest: string;
  /** Where the images came from (for humans; paths are machine-specific and not fingerprinted). */
  source: Record<string, unknown>;
  train: PreparedRoleInfo;
  eval: PreparedRoleInfo;
}

const TOP: FieldSpec = {
  layout: 'string',
  direction: 'string',
  loadSize: 'number',
  cropSize: 'number',
  sourceDigest: 'string',
  train: 'object',
  eval: 'object',
};
const ROLE: FieldSpec = { split: 'string', size: 'number', A: 'object', B: 'object' };
const DOMAIN: FieldSpec = { file: 'string', count: 'number', names: 'array' };

function checkManifest(v: unknown): FieldProblem | undefined {
  if (!isJsonObject(v)) return checkFields(v, {});
  if (v.format !== PREPARED_FORMAT)
    return { field: 'format', problem: `expected ${PREPARED_FORMAT}, got ${describeJson(v.format)}` };
  const top = checkFields(v, TOP);
  if (top) return top;
  for (const role of ['train', 'eval'] as const) {
    const r = v[role] as Record<string, unknown>;
    const problem =
      checkFields(r, ROLE, role) ?? checkFields(r.A, DOMAIN, `${role}.A`) ?? checkFields(r.B, DOMAIN, `${role}.B`);
    if (problem) return problem;
  }
  return undefined;
}

/** Reads a prepared dataset's dataset.json; a FileFormatError (exit 2) names the file and the field otherwise. */
export async function readPreparedManifest(file: string): Promise<PreparedManifest> {
  return readJsonFile<PreparedManifest>(file, {
    what: `a prepared dataset manifest (format ${PREPARED_FORMAT})`,
    hint: 'It is written by the dataset stage; rerun the pipeline with --force on the dataset stage to rebuild it.',
    check: checkManifest,
  });
}
