// Writes docs/pipeline-reference.md from schemas/pipeline.schema.json: one table per section, one row
// per key, with its type, default, allowed values and the schema's own description. The schema is
// the DSL's only definition, so the reference is generated rather than written; a test
// (test/docs/docs.test.ts) fails while the committed file differs from what this script writes.
//   npm run gen:docs            (node --import tsx scripts/gen-docs.ts)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The subset of JSON Schema 2020-12 that pipeline.schema.json uses. */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  propertyNames?: SchemaNode;
  items?: SchemaNode;
  anyOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  uniqueItems?: boolean;
  pattern?: string;
  $defs?: Record<string, SchemaNode>;
}

interface Row {
  key: string;
  type: string;
  default: string;
  allowed: string;
  description: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..');
export const schemaPath = path.join(repoRoot, 'schemas', 'pipeline.schema.json');
export const referencePath = path.join(repoRoot, 'docs', 'pipeline-reference.md');

function resolveRef(root: SchemaNode, node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const m = /^#\/\$defs\/(.+)$/.exec(node.$ref);
  const target = m ? root.$defs?.[m[1]] : undefined;
  if (!target) throw new Error(`${schemaPath}: cannot resolve $ref ${node.$ref}`);
  // Keys beside a $ref (default, description) override the referenced definition's.
  const { $ref: _ref, ...beside } = node;
  return { ...resolveRef(root, target), ...beside };
}

/** The value schema of a map (an object with no named keys, only `additionalProperties`). */
function mapValues(node: SchemaNode): SchemaNode | undefined {
  return typeof node.additionalProperties === 'object' && !node.properties ? node.additionalProperties : undefined;
}

const code = (v: unknown): string => `\`${JSON.stringify(v)}\``;
/** Table cells must not break the row (pipes, newlines), and `<name>` must not read as an HTML tag. */
const cell = (s: string): string =>
  s
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/\s*\n\s*/g, ' ');
const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

function typeOf(root: SchemaNode, n: SchemaNode): string {
  const node = resolveRef(root, n);
  const alts = node.anyOf ?? node.oneOf;
  if (alts) return alts.map((a) => typeOf(root, a)).join(' or ');
  if (node.enum) return [...new Set(node.enum.map((v) => (v === null ? 'null' : typeof v)))].join(' or ');
  if (node.const !== undefined) return 'constant';
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  const named = types.map((t) => {
    if (t === 'array') return node.items ? `list of ${typeOf(root, node.items)}` : 'list';
    const values = t === 'object' ? mapValues(node) : undefined;
    if (values) return `map of ${typeOf(root, values)}`;
    return t;
  });
  return named.join(' or ') || 'any';
}

function bounds(node: SchemaNode): string[] {
  const out: string[] = [];
  if (node.minimum !== undefined) out.push(`≥ ${node.minimum}`);
  if (node.exclusiveMinimum !== undefined) out.push(`> ${node.exclusiveMinimum}`);
  if (node.maximum !== undefined) out.push(`≤ ${node.maximum}`);
  if (node.exclusiveMaximum !== undefined) out.push(`< ${node.exclusiveMaximum}`);
  if (node.minItems !== undefined) out.push(`at least ${count(node.minItems, 'item', 'items')}`);
  if (node.maxItems !== undefined) out.push(`at most ${count(node.maxItems, 'item', 'items')}`);
  if (node.minProperties !== undefined) out.push(`at least ${count(node.minProperties, 'entry', 'entries')}`);
  if (node.uniqueItems) out.push('no repeats');
  if (node.pattern) out.push(`matches \`${node.pattern}\``);
  return out;
}

function allowedOf(root: SchemaNode, n: SchemaNode): string {
  const node = resolveRef(root, n);
  const out: string[] = [];
  if (node.enum) out.push(node.enum.map((v) => code(v)).join(', '));
  if (node.const !== undefined) out.push(code(node.const));
  out.push(...bounds(node));
  const names = node.propertyNames ? resolveRef(root, node.propertyNames) : undefined;
  if (names?.enum) out.push(`keys: ${names.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (names?.pattern) out.push(`keys match \`${names.pattern}\``);
  if (node.items) {
    const items = allowedOf(root, node.items);
    if (items) out.push(`each: ${items}`);
  }
  const values = mapValues(node);
  const valuesAllowed = values ? allowedOf(root, values) : '';
  if (valuesAllowed) out.push(`values: ${valuesAllowed}`);
  return out.join('; ');
}

function defaultOf(node: SchemaNode, required: boolean): string {
  if (required) return 'required';
  return node.default === undefined ? '' : code(node.default);
}

function describe(root: SchemaNode, node: SchemaNode): string {
  const parts = [node.description ?? ''];
  const values = mapValues(node);
  const valueText = values ? resolveRef(root, values).description : undefined;
  if (valueText) parts.push(`Each value: ${valueText}`);
  return parts.filter(Boolean).join(' ');
}

/** Rows for `node` at `key` and, for objects with properties or lists of them, every key below. */
function rows(root: SchemaNode, key: string, n: SchemaNode, required: boolean): Row[] {
  const node = resolveRef(root, n);
  const own: Row = {
    key,
    type: typeOf(root, node),
    default: defaultOf(node, required),
    allowed: allowedOf(root, node),
    description: describe(root, node),
  };
  const out = [own];
  const item = node.items ? resolveRef(root, node.items) : undefined;
  const children = node.properties
    ? { prefix: key, of: node }
    : item?.properties
      ? { prefix: `${key}[]`, of: item }
      : undefined;
  if (children) {
    if (!node.properties) own.type = 'list of objects';
    const req = new Set(children.of.required ?? []);
    for (const [name, child] of Object.entries(children.of.properties ?? {})) {
      out.push(...rows(root, `${children.prefix}.${name}`, child, req.has(name)));
    }
  }
  return out;
}

function table(list: Row[]): string {
  const head = '| key | type | default | allowed | description |\n|---|---|---|---|---|';
  const body = list.map((r) => {
    const cells = [r.type, r.default, r.allowed, r.description].map(cell);
    return `| \`${r.key}\` | ${cells.join(' | ')} |`;
  });
  return [head, ...body].join('\n');
}

/** The whole reference page as markdown. */
export function renderReference(schema: SchemaNode): string {
  const req = new Set(schema.required ?? []);
  const top = Object.entries(schema.properties ?? {});
  const simple: Row[] = [];
  const sections: string[] = [];
  for (const [name, child] of top) {
    const list = rows(schema, name, child, req.has(name));
    if (list.length === 1) {
      simple.push(list[0]);
      continue;
    }
    const intro = resolveRef(schema, child).description;
    if (intro) list[0].description = ''; // said once, above the table
    sections.push([`## \`${name}\``, '', ...(intro ? [intro, ''] : []), table(list)].join('\n'));
  }
  return [
    '<!-- Generated from schemas/pipeline.schema.json by `npm run gen:docs` (scripts/gen-docs.ts). Do not edit:',
    'edit the schema and regenerate; test/docs/docs.test.ts fails while this file is stale. -->',
    '',
    '# Pipeline reference',
    '',
    `${schema.description ?? ''} Every key, its type, default and allowed values, as`,
    '[`schemas/pipeline.schema.json`](../schemas/pipeline.schema.json) defines them. How the keys work together',
    '(variants, sweeps, `--set`, the stages they make) is in [pipelines.md](pipelines.md).',
    '',
    'A key marked *required* must be written; every other key may be left out and takes its default. `null` in a',
    'default means "not set". `a.b` is key `b` inside section `a`; `checks[].metric` is key `metric` of each entry',
    'of the list `checks`.',
    '',
    '## Top-level keys',
    '',
    table(simple),
    '',
    sections.join('\n\n'),
    '',
  ].join('\n');
}

export function readSchema(): SchemaNode {
  return JSON.parse(readFileSync(schemaPath, 'utf8')) as SchemaNode;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(referencePath, renderReference(readSchema()));
  console.log(`wrote ${path.relative(process.cwd(), referencePath)}`);
}
