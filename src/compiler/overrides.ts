// Dotted key paths: checking them against the schema, typing `--set` values, applying them.
import { parse as parseYaml } from 'yaml';
import type { ErrorObject } from 'ajv';
import { pipelineSchema, resolveSchemaPath, validatorAt, type JsonSchema } from './schema.js';
import { unknownNameHint } from './suggest.js';

/** Sections whose keys may differ between variants and sweep points. */
export const VARYING_SECTIONS = ['dataset', 'model', 'loss', 'train', 'evaluate'] as const;

/** Keys of variant bodies and sweep lists must match the schema's dotted-path pattern. */
export function isDottedPath(key: string): boolean {
  const body = (pipelineSchema().properties as Record<string, JsonSchema>).variants.additionalProperties as JsonSchema;
  return new RegExp((body.propertyNames as JsonSchema).pattern as string, 'u').test(key);
}

export function splitPath(dotted: string): string[] {
  return dotted.split('.');
}

export type PathCheck = { ok: true; pointer: string | undefined } | { ok: false; message: string };

/**
 * Does `segments` name a key of the schema? With `varying`, only dataset/model/loss/train/evaluate
 * keys may be named (name, report, checks, ... are the same for every config).
 */
export function checkPath(segments: readonly string[], varying: boolean): PathCheck {
  if (segments.some((s) => s === ''))
    return { ok: false, message: `"${segments.join('.')}" is not a key path (empty part)` };
  if (varying && !(VARYING_SECTIONS as readonly string[]).includes(segments[0])) {
    const known = resolveSchemaPath(segments.slice(0, 1)).ok;
    return {
      ok: false,
      message: known
        ? `"${segments[0]}" is the same for every config; variants and sweeps may change keys of ${VARYING_SECTIONS.join(', ')}`
        : `"${segments[0]}" names no section${unknownNameHint(segments[0], VARYING_SECTIONS, 'sections')}`,
    };
  }
  const r = resolveSchemaPath(segments);
  if (r.ok) return { ok: true, pointer: r.pointer };
  const prefix = segments.slice(0, r.index).join('.');
  const key = segments[r.index];
  if (r.parentType) return { ok: false, message: `"${prefix}" is ${r.parentType}, not a map; it has no key "${key}"` };
  return {
    ok: false,
    message: `unknown key "${key}"${prefix ? ` in ${prefix}` : ''}${unknownNameHint(key, r.allowed)}`,
  };
}

/** Validates (and fills defaults into) a value for the schema at `pointer`. */
export function validateAt(pointer: string | undefined, value: unknown): ErrorObject[] {
  if (pointer === undefined) return []; // free-form: checked later (variant bodies)
  const v = validatorAt(pointer);
  return v(value) ? [] : [...(v.errors ?? [])];
}

export type SetParse = { ok: true; path: string[]; raw: string } | { ok: false; message: string };

export function parseSetArg(arg: string): SetParse {
  const eq = arg.indexOf('=');
  if (eq <= 0) return { ok: false, message: 'expected KEY=VALUE, e.g. --set train.epochs=2' };
  return { ok: true, path: groupDottedKeys(splitPath(arg.slice(0, eq).trim())), raw: arg.slice(eq + 1) };
}

/**
 * Variant bodies and sweep lists are keyed by dotted paths themselves, so
 * `variants.perceptual.loss.l1.weight` means key `loss.l1.weight` of variant `perceptual`, and
 * `sweep.grid.train.seed` the grid list `train.seed`.
 */
export function groupDottedKeys(segments: string[]): string[] {
  if (segments[0] === 'variants' && segments.length > 3) return [...segments.slice(0, 2), segments.slice(2).join('.')];
  if (segments[0] === 'sweep' && (segments[1] === 'grid' || segments[1] === 'zip') && segments.length > 3) {
    return [...segments.slice(0, 2), segments.slice(2).join('.')];
  }
  return segments;
}

/**
 * Types a `--set` value by the schema: the text is read as YAML (2 -> number, false -> boolean,
 * {relu3_3: 1} -> map), and kept as the literal string when the schema wants a string there.
 */
export function typeSetValue(pointer: string | undefined, raw: string): { value: unknown; errors: ErrorObject[] } {
  let parsed: unknown;
  try {
    parsed = parseYaml(raw);
  } catch {
    parsed = raw;
  }
  if (parsed === undefined) parsed = null;
  const errors = validateAt(pointer, parsed);
  if (errors.length === 0) return { value: parsed, errors };
  if (typeof parsed !== 'string' && validateAt(pointer, raw).length === 0) return { value: raw, errors: [] };
  return { value: parsed, errors };
}

/** Sets `value` at `segments`, creating maps on the way. */
export function setPath(target: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let obj = target;
  for (const seg of segments.slice(0, -1)) {
    const next = obj[seg];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) obj[seg] = {};
    obj = obj[seg] as Record<string, unknown>;
  }
  obj[segments[segments.length - 1]] = value;
}

export function getPath(source: unknown, segments: readonly (string | number)[]): unknown {
  let v = source;
  for (const seg of segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg as string];
  }
  return v;
}
