// The compiler's passes in order: parse -> --set -> schema (with defaults) -> variant/sweep paths
// -> expand -> semantic checks -> DAG. Each pass collects every diagnostic before stopping.
import { formatPath, PipelineError, type Diagnostic, type PathSegment } from './diagnostics.js';
import { parsePipelineText } from './parse.js';
import { rootValidator } from './schema.js';
import { translateAjvErrors, type Locate } from './schema-errors.js';
import { checkPath, parseSetArg, setPath, splitPath, typeSetValue, validateAt } from './overrides.js';
import { expandPoints, type Override } from './expand.js';
import { checkConfig, checkReferences, type Issue } from './semantic.js';
import { buildDag } from './build-dag.js';
import { canonicalJson } from './canonical.js';
import { findCycle } from './dag.js';
import type { Dag, ExpandedConfig, ResolvedConfig } from './types.js';

export interface CompiledPipeline {
  config: ResolvedConfig;
  configs: ExpandedConfig[];
  dag: Dag;
}

interface AppliedSet {
  path: string[];
  value: unknown;
  arg: string;
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => String(s) === String(path[i]));
}

/** Compiles pipeline text; `file` is the name diagnostics use. Throws PipelineError. */
export function compilePipelineText(text: string, file: string, sets: readonly string[] = []): CompiledPipeline {
  const parsed = parsePipelineText(text, file);
  if (parsed.diagnostics.length > 0) throw new PipelineError(parsed.diagnostics);
  const diags: Diagnostic[] = [];

  // --set: each path must name a schema key; its value is typed by the schema there.
  const applied: AppliedSet[] = [];
  for (const arg of sets) {
    const at = (path: string, message: string) => diags.push({ file: '--set', line: 0, col: 0, path, message, arg });
    const p = parseSetArg(arg);
    if (!p.ok) {
      at(arg, p.message);
      continue;
    }
    const dotted = formatPath(p.path);
    const check = checkPath(p.path, false);
    if (!check.ok) {
      at(dotted, check.message);
      continue;
    }
    // A key inside a variant body is typed by the schema at the path it names.
    const inner = p.path[0] === 'variants' && p.path.length === 3 ? checkPath(splitPath(p.path[2]), true) : undefined;
    const typed = typeSetValue(inner?.ok ? inner.pointer : check.pointer, p.raw);
    if (typed.errors.length > 0) {
      diags.push(
        ...translateAjvErrors(typed.errors, () => ({ file: '--set', line: 0, col: 0, arg }), (rel) => formatPath([...p.path, ...rel])),
      );
    } else {
      applied.push({ path: p.path, value: typed.value, arg });
    }
  }

  // A key a --set replaced is reported against that --set, everything else against the file.
  const locate: Locate = (docPath, anchor) => {
    const set = [...applied].reverse().find((s) => isPrefix(s.path, docPath));
    if (set) return { file: '--set', line: 0, col: 0, arg: set.arg };
    return { file, ...parsed.map.locate(docPath, anchor) };
  };
  const under = (prefix: PathSegment[]): [Locate, (rel: readonly PathSegment[]) => string] => [
    (rel, anchor) => locate([...prefix, ...rel], anchor),
    (rel) => formatPath([...prefix, ...rel]),
  ];

  const raw = structuredClone(parsed.value) as Record<string, unknown>;
  if (isMap(raw)) for (const s of applied) setPath(raw, s.path, structuredClone(s.value));
  const root = rootValidator();
  if (!root(raw)) diags.push(...translateAjvErrors(root.errors ?? [], locate));

  // Variant and sweep bodies name key paths: check each path, then its value(s) against the schema there.
  const checkOverride = (docPath: PathSegment[], key: string, values: Array<[PathSegment[], unknown]>) => {
    const check = checkPath(splitPath(key), true);
    if (!check.ok) {
      diags.push({ ...locate(docPath, 'key'), path: formatPath(docPath), message: check.message });
      return;
    }
    for (const [valuePath, value] of values) diags.push(...translateAjvErrors(validateAt(check.pointer, value), ...under(valuePath)));
  };
  if (isMap(raw) && isMap(raw.variants)) {
    for (const [name, body] of Object.entries(raw.variants)) {
      if (!isMap(body)) continue;
      for (const [key, value] of Object.entries(body)) checkOverride(['variants', name, key], key, [[['variants', name, key], value]]);
    }
  }
  if (isMap(raw) && isMap(raw.sweep)) {
    const sweep = raw.sweep;
    let zipRef: [string, number] | undefined;
    for (const kind of ['grid', 'zip'] as const) {
      if (!isMap(sweep[kind])) continue;
      for (const [key, list] of Object.entries(sweep[kind])) {
        if (!Array.isArray(list)) continue;
        const docPath: PathSegment[] = ['sweep', kind, key];
        checkOverride(docPath, key, list.map((v, i) => [[...docPath, i], v]));
        const seen = new Map<string, number>();
        list.forEach((v, i) => {
          const k = canonicalJson(v);
          if (seen.has(k)) {
            diags.push({ ...locate([...docPath, i], 'value'), path: formatPath([...docPath, i]), message: `repeats item ${seen.get(k)} of the list; each value gives one config, so list it once` });
          } else seen.set(k, i);
        });
        if (kind === 'zip') {
          if (!zipRef) zipRef = [key, list.length];
          else if (list.length !== zipRef[1]) {
            diags.push({ ...locate(docPath, 'key'), path: formatPath(docPath), message: `has ${list.length} values but sweep.zip.${zipRef[0]} has ${zipRef[1]}; zip pairs the i-th values of every list, so all lists need the same length` });
          }
        }
        if (kind === 'zip' && isMap(sweep.grid) && key in sweep.grid) {
          diags.push({ ...locate(docPath, 'key'), path: formatPath(docPath), message: `"${key}" is in both sweep.grid and sweep.zip; keep it in one` });
        }
      }
    }
  }
  if (diags.length > 0) throw new PipelineError(diags);

  const base = raw as unknown as ResolvedConfig;
  const points = expandPoints({
    variants: base.variants as Record<string, Record<string, unknown>>,
    grid: base.sweep.grid as Record<string, unknown[]>,
    zip: base.sweep.zip as Record<string, unknown[]>,
  });

  // Where a config's key path comes from: the last override touching it, else the base.
  const locateIn = (overrides: readonly Override[], issue: Issue): Diagnostic => {
    for (const cand of [issue.path, ...(issue.related ?? [])]) {
      const o = [...overrides].reverse().find((x) => isPrefix(x.path, cand) || isPrefix(cand, x.path));
      if (!o) continue;
      const anchor = cand === issue.path ? issue.anchor : 'value';
      if ('setArg' in o.origin) return { file: '--set', line: 0, col: 0, arg: o.origin.setArg, path: formatPath(cand), message: issue.message };
      const docPath = [...o.origin.docPath, ...cand.slice(o.path.length)];
      return { ...locate(docPath, anchor), path: formatPath(docPath), message: issue.message };
    }
    return { ...locate(issue.path, issue.anchor), path: formatPath(issue.path), message: issue.message };
  };

  const configs: ExpandedConfig[] = [];
  for (const point of points) {
    const config = structuredClone(base) as unknown as Record<string, unknown>;
    for (const o of point.overrides) setPath(config, o.path, structuredClone(o.value));
    // Object-valued overrides replace whole maps: fill their defaults again.
    if (!root(config)) diags.push(...translateAjvErrors(root.errors ?? [], locate));
    const resolved = config as unknown as ResolvedConfig;
    for (const issue of checkConfig(resolved)) diags.push(locateIn(point.overrides, issue));
    const overrides: Record<string, unknown> = {};
    for (const o of point.overrides) overrides[o.path.join('.')] = structuredClone(o.value);
    configs.push({ id: point.id, variant: point.variant, overrides, config: resolved });
  }
  for (const issue of checkReferences(base, configs)) diags.push({ ...locate(issue.path, issue.anchor), path: formatPath(issue.path), message: issue.message });
  if (diags.length > 0) throw new PipelineError(diags);

  const dag = buildDag(base, configs);
  const cycle = findCycle(dag.deps);
  if (cycle) throw new Error(`internal: stage DAG has a cycle ${cycle.join(' -> ')}`);
  return { config: base, configs, dag };
}
