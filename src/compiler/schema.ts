// The one definition of the DSL (schemas/pipeline.schema.json), its validators (precompiled in
// validators.generated.ts), and lookups of the sub-schema at a dotted key path (variants, sweeps, --set).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { byPointer, schemaHash } from './validators.generated.js';
import { AJV_OPTIONS, deref, schemaForAjv, type JsonSchema } from './schema-walk.js';

export type { JsonSchema } from './schema-walk.js';

// Same relative location from src/compiler and dist/compiler.
export const SCHEMA_URL = new URL('../../schemas/pipeline.schema.json', import.meta.url);

export interface Loaded {
  schema: JsonSchema;
  validatorAt(pointer: string): ValidateFunction | undefined;
}

let cached: Loaded | undefined;

/** Validators from the precompiled module, or compiled now with ajv (slower: ~80 ms). */
export function buildValidators(text: string, precompiled: boolean): Loaded {
  const schema = JSON.parse(text) as JsonSchema;
  if (precompiled) {
    const table = byPointer as unknown as Record<string, ValidateFunction>;
    return { schema, validatorAt: (p) => table[p] };
  }
  // ajv is CommonJS: a synchronous require keeps the compiler's API synchronous.
  const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ ...AJV_OPTIONS });
  ajv.addSchema(schemaForAjv(schema));
  const id = schema.$id as string;
  const subs = new Map<string, ValidateFunction>();
  return {
    schema,
    validatorAt(p) {
      let v = subs.get(p);
      if (!v) {
        v = ajv.getSchema(`${id}#${p}`);
        if (v) subs.set(p, v);
      }
      return v;
    },
  };
}

/**
 * Uses the precompiled validators (validators.generated.ts) when they were made from this exact
 * schema text; otherwise (schema edited, `npm run gen:validators` not run yet) compiles with ajv.
 */
function load(): Loaded {
  if (!cached) {
    const text = readFileSync(SCHEMA_URL, 'utf8');
    cached = buildValidators(text, createHash('sha256').update(text).digest('hex') === schemaHash);
  }
  return cached;
}

export function pipelineSchema(): JsonSchema {
  return load().schema;
}

/** Validates a whole pipeline and fills in defaults (mutates its argument). */
export function rootValidator(): ValidateFunction {
  return validatorAt('');
}

/** Validator of the sub-schema at a JSON pointer (from resolveSchemaPath); also fills defaults. */
export function validatorAt(pointer: string): ValidateFunction {
  const v = load().validatorAt(pointer);
  if (!v) throw new Error(`internal: no validator for schema pointer "${pointer}"`);
  return v;
}

export type SchemaPathResult =
  /** pointer is undefined for a free-form map (a variant body): any key, any value. */
  | { ok: true; pointer: string | undefined; schema: JsonSchema }
  | {
      ok: false;
      /** Index of the first segment that names no key. */
      index: number;
      /** Keys allowed at that point (for did-you-mean), empty when the parent is not a map. */
      allowed: string[];
      /** Set when the parent is a value, not a map (e.g. `train.epochs.x`). */
      parentType?: string;
    };

function allowedNames(s: JsonSchema): string[] {
  const names = Object.keys((s.properties as object | undefined) ?? {});
  const pn = s.propertyNames as JsonSchema | undefined;
  if (pn && Array.isArray(pn.enum)) names.push(...(pn.enum as string[]));
  return names;
}

/** The sub-schema a dotted key path names, following $ref, properties and map values. */
export function resolveSchemaPath(segments: readonly string[]): SchemaPathResult {
  const root = load().schema;
  let s: JsonSchema = root;
  let pointer = '';
  for (let i = 0; i < segments.length; i++) {
    const d = deref(s, root);
    if (d.pointer !== undefined) pointer = d.pointer;
    s = d.schema;
    const seg = segments[i];
    const props = s.properties as Record<string, JsonSchema> | undefined;
    if (props && Object.prototype.hasOwnProperty.call(props, seg)) {
      pointer += `/properties/${seg}`;
      s = props[seg];
      continue;
    }
    const extra = s.additionalProperties;
    if (extra && typeof extra === 'object') {
      const pn = s.propertyNames as JsonSchema | undefined;
      const nameOk =
        !pn ||
        ((!Array.isArray(pn.enum) || (pn.enum as string[]).includes(seg)) &&
          (typeof pn.pattern !== 'string' || new RegExp(pn.pattern, 'u').test(seg)));
      if (nameOk) {
        pointer += '/additionalProperties';
        s = extra as JsonSchema;
        continue;
      }
    }
    if (props || extra) return { ok: false, index: i, allowed: allowedNames(s) };
    const freeForm = s.type === 'object' && extra === undefined;
    const pattern = (s.propertyNames as JsonSchema | undefined)?.pattern;
    if (freeForm && (typeof pattern !== 'string' || new RegExp(pattern, 'u').test(seg)) && i === segments.length - 1) {
      return { ok: true, pointer: undefined, schema: {} };
    }
    return { ok: false, index: i, allowed: [], parentType: describeSchemaType(s) };
  }
  const d = deref(s, root);
  return { ok: true, pointer: d.pointer ?? pointer, schema: d.schema };
}

const TYPE_WORDS: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  string: 'a string',
  array: 'a list',
  null: 'null',
};

function describeSchemaType(s: JsonSchema): string {
  if (Array.isArray(s.enum)) return 'a choice';
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  return types.length ? types.map((t) => TYPE_WORDS[t] ?? t).join(' or ') : 'a value';
}

/** Top-level sections (other than `except`) that have a key `key`: for "it belongs in train". */
export function sectionsWithKey(key: string, except: string): string[] {
  const root = load().schema;
  const out: string[] = [];
  for (const [name, sub] of Object.entries((root.properties as Record<string, JsonSchema>) ?? {})) {
    if (name === except) continue;
    const props = deref(sub, root).schema.properties as Record<string, unknown> | undefined;
    if (props && Object.prototype.hasOwnProperty.call(props, key)) out.push(name);
  }
  return out;
}
