// Pure helpers over the JSON Schema object: $ref lookup, default hoisting, the sub-schemas a
// dotted key path can name. Shared by the runtime loader and the validator generator.
import type { AnySchemaObject } from 'ajv';

export type JsonSchema = AnySchemaObject;

export function deref(schema: JsonSchema, root: JsonSchema): { schema: JsonSchema; pointer?: string } {
  const ref = schema.$ref as string | undefined;
  if (!ref?.startsWith('#/')) return { schema };
  const pointer = ref.slice(1);
  let s: unknown = root;
  for (const part of pointer.split('/').slice(1)) s = (s as Record<string, unknown>)[part];
  return { schema: s as JsonSchema, pointer };
}

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

/**
 * The schema as ajv gets it. ajv applies a `default` only where it sits beside the property's own
 * schema, not behind a `$ref`; the file keeps section defaults in $defs (one generated type per
 * section), so they are copied next to each plain `{ $ref }` here, in memory.
 */
export function schemaForAjv(schema: JsonSchema): JsonSchema {
  const copy = structuredClone(schema);
  hoistRefDefaults(copy.properties, copy);
  return copy;
}

/**
 * Every JSON pointer a dotted key path can resolve to (see resolveSchemaPath): the targets of
 * properties and map values, after $ref. '' is the root.
 */
export function pathTargetPointers(root: JsonSchema): string[] {
  const out = new Set<string>();
  const visit = (s: JsonSchema, pointer: string) => {
    const d = deref(s, root);
    const p = d.pointer ?? pointer;
    if (out.has(p)) return;
    out.add(p);
    const t = d.schema;
    for (const [k, sub] of Object.entries((t.properties as Record<string, JsonSchema> | undefined) ?? {})) {
      visit(sub, `${p}/properties/${k}`);
    }
    if (t.additionalProperties && typeof t.additionalProperties === 'object') {
      visit(t.additionalProperties as JsonSchema, `${p}/additionalProperties`);
    }
  };
  visit(root, '');
  return [...out];
}

/** Options shared by the generated validators and the fallback compiler. */
export const AJV_OPTIONS = {
  allErrors: true,
  useDefaults: true,
  verbose: true,
  allowUnionTypes: true,
  strict: true,
  // Sub-schemas compile as roots with their defaults (they fill override values).
  strictSchema: false,
} as const;
