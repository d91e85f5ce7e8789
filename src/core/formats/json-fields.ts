// Small shape checks for the JSON files pipe writes: each says which field is wrong and how, so a reader's
// error names the file and the field. They check what readers use, not every key a writer may add.
import { describeJson, type FieldProblem } from './read-json.js';

/** `string`, `number`, `object`, `array`, `boolean`; a trailing `?` allows the key to be absent (or null). */
export type FieldKind = 'string' | 'number' | 'object' | 'array' | 'boolean';
export type FieldSpec = Readonly<Record<string, FieldKind | `${FieldKind}?`>>;

export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function hasKind(v: unknown, kind: FieldKind): boolean {
  if (kind === 'object') return isJsonObject(v);
  if (kind === 'array') return Array.isArray(v);
  return typeof v === kind;
}

/** The first field of `value` that is absent or of the wrong kind, named from `at` (`stages.train`). */
export function checkFields(value: unknown, spec: FieldSpec, at = ''): FieldProblem | undefined {
  if (!isJsonObject(value))
    return { field: at || '(top level)', problem: `expected an object, got ${describeJson(value)}` };
  for (const [key, want] of Object.entries(spec)) {
    const optional = want.endsWith('?');
    const kind = (optional ? want.slice(0, -1) : want) as FieldKind;
    const v = value[key];
    if (optional && (v === undefined || v === null)) continue;
    if (!hasKind(v, kind)) {
      const got = v === undefined ? 'nothing (the field is missing)' : describeJson(v);
      return {
        field: at ? `${at}.${key}` : key,
        problem: `expected ${kind === 'array' ? 'a list' : `a ${kind}`}, got ${got}`,
      };
    }
  }
  return undefined;
}

/** Every value of the object at `value[key]` checked against `spec` (e.g. each stage of `stages`). */
export function checkEach(value: Record<string, unknown>, key: string, spec: FieldSpec): FieldProblem | undefined {
  for (const [name, entry] of Object.entries(value[key] as Record<string, unknown>)) {
    const problem = checkFields(entry, spec, `${key}.${name}`);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The `format` field of a versioned file: `format` itself, or absent for files written before pipe recorded
 * it (read as version 1, so existing caches and runs stay valid).
 */
export function checkVersion(value: Record<string, unknown>, format: string): FieldProblem | undefined {
  if (value.format === undefined || value.format === format) return undefined;
  return {
    field: 'format',
    problem: `expected "${format}" (or none, for older files), got ${describeJson(value.format)}`,
  };
}
