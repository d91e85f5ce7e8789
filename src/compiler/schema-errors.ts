// One rendering per ajv keyword: each error becomes a diagnostic that points at the offending key
// (unknown or missing key) or value (wrong type, enum, range), with a did-you-mean where it helps.
import type { ErrorObject } from 'ajv';
import { formatPath, type Diagnostic, type PathSegment } from './diagnostics.js';
import type { Anchor } from './source-map.js';
import { sectionsWithKey } from './schema.js';
import { listValues, unknownNameHint, didYouMean } from './suggest.js';

/** Places a diagnostic: a path relative to what was validated -> file position (or --set argument). */
export type Locate = (path: readonly PathSegment[], anchor: Anchor) => Omit<Diagnostic, 'path' | 'message'>;

function instanceSegments(instancePath: string): PathSegment[] {
  if (!instancePath) return [];
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `string "${v}"`;
  return `${typeof v} ${String(v)}`;
}

/** Plain words for the schema's patterns (a regex is no help in an error message). */
const PATTERN_WORDS: Record<string, string> = {
  '^[A-Za-z0-9][A-Za-z0-9._-]*$': 'letters, digits, ".", "_" and "-", starting with a letter or digit',
  '^[A-Za-z0-9][A-Za-z0-9_-]*$': 'letters, digits, "_" and "-", starting with a letter or digit',
  '^[a-z_][a-z0-9_]*(\\.[A-Za-z0-9_]+)*$': 'a dotted key path such as loss.perceptual.weight',
};

function patternHint(pattern: unknown): string {
  const words = PATTERN_WORDS[String(pattern)];
  return words ? `use ${words}` : `must match /${String(pattern)}/`;
}

const comparisons: Record<string, string> = {
  minimum: '>=',
  maximum: '<=',
  exclusiveMinimum: '>',
  exclusiveMaximum: '<',
};

/**
 * Translates ajv errors. `display` turns a relative path into the key path shown to the user
 * (e.g. prefixed with the variant it sits in).
 */
// eslint-disable-next-line max-lines-per-function -- one case per ajv keyword, read as a table
export function translateAjvErrors(
  errors: readonly ErrorObject[],
  locate: Locate,
  display: (path: readonly PathSegment[]) => string = formatPath,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const add = (path: PathSegment[], anchor: Anchor, message: string) =>
    out.push({ ...locate(path, anchor), path: display(path), message });
  for (const e of errors) {
    const at = instanceSegments(e.instancePath);
    const p = e.params as Record<string, unknown>;
    const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
    // Errors raised while checking a key name (propertyNames) carry the key in `propertyName`.
    const keyName = (e as { propertyName?: string }).propertyName;
    if (keyName !== undefined) {
      const path = [...at, keyName];
      if (e.keyword === 'enum')
        add(path, 'key', `unknown key "${keyName}"${unknownNameHint(keyName, p.allowedValues as string[])}`);
      else if (e.keyword === 'pattern') add(path, 'key', `invalid key "${keyName}": ${patternHint(p.pattern)}`);
      else add(path, 'key', `invalid key "${keyName}": ${e.message ?? 'invalid'}`);
      continue;
    }
    switch (e.keyword) {
      case 'propertyNames':
        break; // reported through the inner error above
      case 'additionalProperties': {
        const key = String(p.additionalProperty);
        const allowed = Object.keys((parent.properties as object | undefined) ?? {});
        // `dataset: { epochs: 5 }`: right key, wrong section.
        const elsewhere = at.length === 1 && !didYouMean(key, allowed) ? sectionsWithKey(key, String(at[0])) : [];
        const hint = elsewhere.length > 0 ? `; it belongs in ${elsewhere.join(' or ')}` : unknownNameHint(key, allowed);
        add([...at, key], 'key', `unknown key "${key}"${hint}`);
        break;
      }
      case 'required':
        add(at, 'key', `missing required key "${String(p.missingProperty)}"`);
        break;
      case 'type': {
        const types = Array.isArray(p.type) ? (p.type as string[]) : String(p.type).split(',');
        // `key:` with nothing after it is null in YAML; an empty map is written {}.
        const hint = e.data === null && types.includes('object') ? ' (write {} for an empty map)' : '';
        add(at, 'value', `expected ${types.join(' or ')}, got ${describeValue(e.data)}${hint}`);
        break;
      }
      case 'enum': {
        const allowed = p.allowedValues as unknown[];
        const best =
          typeof e.data === 'string'
            ? didYouMean(
                e.data,
                allowed.filter((a): a is string => typeof a === 'string'),
              )
            : undefined;
        add(
          at,
          'value',
          `${describeValue(e.data)} is not allowed` +
            (best ? ` (did you mean "${best}"?)` : '') +
            `; allowed values: ${listValues(allowed)}`,
        );
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        add(at, 'value', `must be ${comparisons[e.keyword]} ${String(p.limit)}, got ${String(e.data)}`);
        break;
      case 'minItems':
        add(at, 'value', `needs at least ${String(p.limit)} item(s)`);
        break;
      case 'minProperties':
        add(at, 'value', `needs at least ${String(p.limit)} key(s)`);
        break;
      case 'uniqueItems':
        add([...at, Number(p.i)], 'value', `${describeValue((e.data as unknown[])[Number(p.i)])} is listed twice`);
        break;
      case 'pattern':
        add(at, 'value', `invalid ${describeValue(e.data)}: ${patternHint(p.pattern)}`);
        break;
      default:
        add(at, 'value', e.message ?? `invalid (${e.keyword})`);
    }
  }
  return out;
}
