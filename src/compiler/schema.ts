// The one definition of the DSL (schemas/pipeline.schema.json), compiled once with ajv, plus
// lookups of the sub-schema at a dotted key path (for variants, sweeps and --set).
import { readFileSync } from 'node:fs';
import { Ajv2020, type AnySchemaObject, type ValidateFunction } from 'ajv/dist/2020.js';

export type JsonSchema = AnySchemaObject;

// Same relative location from src/compiler and dist/compiler.
export const SCHEMA_URL = new URL('../../schemas/pipeline.schema.json', import.meta.url);

let cached: { schema: JsonSchema; ajv: Ajv2020; root: ValidateFunction; subs: Map<string, ValidateFunction> } | undefined;

function deref(schema: JsonSchema, root: JsonSchema): { schema: JsonSchema; pointer?: string } {
  const ref = schema.$ref as string | undefined;
  if (!ref?.startsWith('#/')) return { schema };
  const pointer = ref.slice(1);
  let s: unknown = root;
  for (const part of pointer.split('/').slice(1)) s = (s as Record<string, unknown>)[part];
  return { schema: s as JsonSchema, pointer };
}

/**
 * ajv applies a `default` only where it sits beside the property's own schema, not behind a
 * `$ref`; the file keeps section defaults in $defs (one generated type per section), so they are
 * copied next to each plain `{ $ref }` here, in memory.
 */
function hoistRefDefaults(node: unknown, root: JsonSchema): void {
  if (Array.isArray(node)) return node.forEach((n) => hoistRefDefaults(n, root));
  if (node === null || typeof node !== 'object') return;
  const obj = node as JsonSchema;
  if (typeof obj.$ref === 'string' && !('default' in obj)) {
    const target = deref(obj, root).schema;
    if (target && 'default' in target) obj.default = structuredClone(target.default);
  }
  for (const v of Object.values(obj)) hoistRefDefaults(v, root);
}

function load() {
  if (cached) return cached;
  const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as JsonSchema;
  const forAjv = structuredClone(schema);
  hoistRefDefaults(forAjv.properties, forAjv);
  // Sub-schemas compile as roots with their defaults (they fill override values): strictSchema off.
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, verbose: true, allowUnionTypes: true, strict: true, strictSchema: false });
  const root = ajv.compile(forAjv);
  cached = { schema, ajv, root, subs: new Map() };
  return cached;
}

export function pipelineSchema(): JsonSchema {
  return load().schema;
}

/** Validates a whole pipeline and fills in defaults (mutates its argument). */
export function rootValidator(): ValidateFunction {
  return load().root;
}

/** Validator of the sub-schema at a JSON pointer (from resolveSchemaPath); also fills defaults. */
export function validatorAt(pointer: string): ValidateFunction {
  const c = load();
  let v = c.subs.get(pointer);
  if (!v) {
    const id = c.schema.$id as string;
    v = c.ajv.getSchema(`${id}#${pointer}`);
    if (!v) throw new Error(`no schema at ${pointer}`);
    c.subs.set(pointer, v);
  }
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

function describeSchemaType(s: JsonSchema): string {
  if (Array.isArray(s.enum)) return 'a choice';
  const t = s.type;
  return Array.isArray(t) ? t.join(' or ') : typeof t === 'string' ? t : 'a value';
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
