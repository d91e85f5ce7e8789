// variants x sweep.grid (cartesian) x sweep.zip (paired) -> concrete points with readable ids.
import { createHash } from 'node:crypto';
import type { PathSegment } from './diagnostics.js';
import { splitPath } from './overrides.js';

/** Where an override was written: a node of the pipeline file, or a --set argument. */
export type Origin = { docPath: PathSegment[] } | { setArg: string };

export interface Override {
  path: string[];
  value: unknown;
  origin: Origin;
}

export interface Point {
  id: string;
  variant: string;
  /** Applied in order: variant first, then grid, then zip. */
  overrides: Override[];
}

type Lists = Record<string, unknown[]>;

/** The shortest dotted suffix of each path that tells it apart from the others (seed, perceptual.weight). */
function shortLabels(paths: readonly string[]): Map<string, string> {
  const labels = new Map<string, string>();
  for (const p of paths) {
    const parts = splitPath(p);
    let n = 1;
    const suffix = (q: string, k: number) => splitPath(q).slice(-k).join('.');
    while (n < parts.length && paths.some((q) => q !== p && suffix(q, n) === suffix(p, n))) n++;
    labels.set(p, suffix(p, n));
  }
  return labels;
}

/** A value as it reads in an id: maps by their keys (layers {relu3_3: 1} -> relu3_3), lists joined with +. */
export function valueLabel(v: unknown): string {
  if (Array.isArray(v)) return v.map(valueLabel).join('+');
  if (v !== null && typeof v === 'object') return Object.keys(v).join('+');
  return String(v);
}

export function safeId(s: string): string {
  return s.replace(/[^A-Za-z0-9._+=-]/g, '_');
}

/** Config ids name folders (runs/<name>/<id>/..., at most 255 bytes each): long ones keep a prefix plus a digest. */
export const MAX_ID_LENGTH = 120;

export function boundedId(id: string): string {
  if (id.length <= MAX_ID_LENGTH) return id;
  return `${id.slice(0, MAX_ID_LENGTH - 13)}-${createHash('sha256').update(id).digest('hex').slice(0, 12)}`;
}

function cartesian(keys: readonly string[], lists: Lists): Array<Array<[string, number]>> {
  let combos: Array<Array<[string, number]>> = [[]];
  for (const k of keys) {
    const next: Array<Array<[string, number]>> = [];
    for (const c of combos) for (let i = 0; i < lists[k].length; i++) next.push([...c, [k, i]]);
    combos = next;
  }
  return combos;
}

export interface ExpandInput {
  /** Variant name -> dotted path -> value; empty means one implicit variant `base`. */
  variants: Record<string, Record<string, unknown>>;
  grid: Lists;
  zip: Lists;
}

/** Zip lists must all have the same length (checked before expanding). */
export function expandPoints(input: ExpandInput): Point[] {
  const implicit = Object.keys(input.variants).length === 0;
  const variants = implicit ? { base: {} } : input.variants;
  const gridKeys = Object.keys(input.grid);
  const zipKeys = Object.keys(input.zip);
  const labels = shortLabels([...gridKeys, ...zipKeys]);
  const zipLength = zipKeys.length ? input.zip[zipKeys[0]].length : 1;
  const points: Point[] = [];
  const used = new Set<string>();
  for (const [variant, body] of Object.entries(variants)) {
    const base: Override[] = Object.entries(body).map(([k, value]) => ({
      path: splitPath(k),
      value,
      origin: { docPath: ['variants', variant, k] },
    }));
    for (const combo of cartesian(gridKeys, input.grid)) {
      for (let z = 0; z < zipLength; z++) {
        const overrides = [...base];
        const parts: string[] = implicit && (gridKeys.length || zipKeys.length) ? [] : [variant];
        for (const [k, i] of combo) {
          overrides.push({ path: splitPath(k), value: input.grid[k][i], origin: { docPath: ['sweep', 'grid', k, i] } });
          parts.push(`${labels.get(k)}=${valueLabel(input.grid[k][i])}`);
        }
        for (const k of zipKeys) {
          overrides.push({ path: splitPath(k), value: input.zip[k][z], origin: { docPath: ['sweep', 'zip', k, z] } });
          parts.push(`${labels.get(k)}=${valueLabel(input.zip[k][z])}`);
        }
        const stem = boundedId(safeId(parts.join('-')));
        let id = stem;
        for (let n = 2; used.has(id); n++) id = `${stem}-${n}`;
        used.add(id);
        points.push({ id, variant, overrides });
      }
    }
  }
  return points;
}
