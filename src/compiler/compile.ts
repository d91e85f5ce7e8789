// The compiler's passes in order: parse -> --set -> schema (with defaults) -> variant/sweep paths
// -> expand -> semantic checks -> DAG. Each pass collects every diagnostic before the compiler stops.
import { formatPath, PipelineError, type Diagnostic, type PathSegment } from './diagnostics.js';
import { parsePipelineText } from './parse.js';
import { rootValidator } from './schema.js';
import { translateAjvErrors, type Locate } from './schema-errors.js';
import { checkPath, isDottedPath, parseSetArg, setPath, splitPath, typeSetValue, validateAt } from './overrides.js';
import { expandPoints, type Override } from './expand.js';
import { limit } from '../core/limits.js';
import { checkConfig, checkReferences, type Issue } from './semantic.js';
import { buildDag } from './build-dag.js';
import { canonicalJson } from '../core/canonical-json.js';
import { findCycle } from './dag.js';
import type { Dag, ExpandedConfig } from './types.js';
import type { ResolvedConfig } from '../core/stage-params.js';

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

type Report = (d: Diagnostic) => void;

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function isPrefix(prefix: readonly PathSegment[], path: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => String(s) === String(path[i]));
}

const setLocation = (arg: string) => ({ file: '--set', line: 0, col: 0, arg });

/** `--set` pass: each path must name a schema key; its value is typed by the schema there. */
function readSets(sets: readonly string[], report: Report): AppliedSet[] {
  const applied: AppliedSet[] = [];
  for (const arg of sets) {
    const p = parseSetArg(arg);
    if (!p.ok) {
      report({ ...setLocation(arg), path: arg, message: p.message });
      continue;
    }
    const check = checkPath(p.path, false);
    if (!check.ok) {
      report({ ...setLocation(arg), path: formatPath(p.path), message: check.message });
      continue;
    }
    // A key inside a variant body is typed by the schema at the path it names.
    const inner = p.path[0] === 'variants' && p.path.length === 3 ? checkPath(splitPath(p.path[2]), true) : undefined;
    const typed = typeSetValue(inner?.ok ? inner.pointer : check.pointer, p.raw);
    if (typed.errors.length > 0) {
      translateAjvErrors(
        typed.errors,
        () => setLocation(arg),
        (rel) => formatPath([...p.path, ...rel]),
      ).forEach(report);
    } else {
      applied.push({ path: p.path, value: typed.value, arg });
    }
  }
  return applied;
}

/** Variant bodies and sweep lists name key paths: each path, then its value(s) against the schema there. */
// eslint-disable-next-line max-lines-per-function -- variant and sweep rules share one walk
function checkVariantsAndSweep(raw: Record<string, unknown>, locate: Locate, report: Report): void {
  const at = (docPath: PathSegment[], anchor: 'key' | 'value', message: string) =>
    report({ ...locate(docPath, anchor), path: formatPath(docPath), message });
  const checkOverride = (docPath: PathSegment[], key: string, values: Array<[PathSegment[], unknown]>) => {
    if (!isDottedPath(key)) return; // the schema pass already said the key is malformed
    const check = checkPath(splitPath(key), true);
    if (!check.ok) return at(docPath, 'key', check.message);
    for (const [valuePath, value] of values) {
      const errors = validateAt(check.pointer, value);
      translateAjvErrors(
        errors,
        (rel, anchor) => locate([...valuePath, ...rel], anchor),
        (rel) => formatPath([...valuePath, ...rel]),
      ).forEach(report);
    }
  };
  if (isMap(raw.variants)) {
    for (const [name, body] of Object.entries(raw.variants)) {
      if (!isMap(body)) continue;
      for (const [key, value] of Object.entries(body))
        checkOverride(['variants', name, key], key, [[['variants', name, key], value]]);
    }
  }
  if (!isMap(raw.sweep)) return;
  const sweep = raw.sweep;
  let zipRef: [string, number] | undefined;
  for (const kind of ['grid', 'zip'] as const) {
    if (!isMap(sweep[kind])) continue;
    for (const [key, list] of Object.entries(sweep[kind])) {
      if (!Array.isArray(list)) continue;
      const docPath: PathSegment[] = ['sweep', kind, key];
      checkOverride(
        docPath,
        key,
        list.map((v, i) => [[...docPath, i], v]),
      );
      const seen = new Map<string, number>();
      list.forEach((v, i) => {
        const k = canonicalJson(v);
        if (seen.has(k))
          at(
            [...docPath, i],
            'value',
            `repeats item ${seen.get(k)} of the list; each value gives one config, so list it once`,
          );
        else seen.set(k, i);
      });
      if (kind !== 'zip') continue;
      if (!zipRef) zipRef = [key, list.length];
      else if (list.length !== zipRef[1]) {
        at(
          docPath,
          'key',
          `has ${list.length} values but sweep.zip.${zipRef[0]} has ${zipRef[1]}; zip pairs the i-th values of every list, so all lists need the same length`,
        );
      }
      if (isMap(sweep.grid) && key in sweep.grid)
        at(docPath, 'key', `"${key}" is in both sweep.grid and sweep.zip; keep it in one`);
    }
  }
}

/** Where a config's problem is reported: at the last override touching one of its keys, else the base. */
function locateIssue(issue: Issue, overrides: readonly Override[], locate: Locate): Diagnostic {
  for (const cand of [issue.path, ...(issue.related ?? [])]) {
    const o = [...overrides].reverse().find((x) => isPrefix(x.path, cand) || isPrefix(cand, x.path));
    if (!o) continue;
    if ('setArg' in o.origin)
      return { ...setLocation(o.origin.setArg), path: formatPath(cand), message: issue.message };
    const docPath = [...o.origin.docPath, ...cand.slice(o.path.length)];
    return {
      ...locate(docPath, cand === issue.path ? issue.anchor : 'value'),
      path: formatPath(docPath),
      message: issue.message,
    };
  }
  return { ...locate(issue.path, issue.anchor), path: formatPath(issue.path), message: issue.message };
}

/** Defaults that depend on the model kind (the schema can only give one default per key). */
function resolveKindDefaults(config: ResolvedConfig): void {
  if (config.model.dropout === null) config.model.dropout = config.model.kind === 'pix2pix';
}

/** Variants x sweep points -> concrete configs (defaults filled again) plus their semantic problems. */
function expandConfigs(base: ResolvedConfig, locate: Locate, report: Report): ExpandedConfig[] {
  const root = rootValidator();
  const points = expandPoints({
    variants: base.variants as Record<string, Record<string, unknown>>,
    grid: base.sweep.grid as Record<string, unknown[]>,
    zip: base.sweep.zip as Record<string, unknown[]>,
  });
  return points.map((point) => {
    const config = structuredClone(base) as unknown as Record<string, unknown>;
    for (const o of point.overrides) setPath(config, o.path, structuredClone(o.value));
    // Object-valued overrides replace whole maps: fill their defaults again.
    if (!root(config)) translateAjvErrors(root.errors ?? [], locate).forEach(report);
    const resolved = config as unknown as ResolvedConfig;
    resolveKindDefaults(resolved);
    for (const issue of checkConfig(resolved)) report(locateIssue(issue, point.overrides, locate));
    const overrides: Record<string, unknown> = {};
    for (const o of point.overrides) overrides[o.path.join('.')] = structuredClone(o.value);
    return { id: point.id, variant: point.variant, overrides, config: resolved };
  });
}

export interface CompileLimits {
  /** Most configs (variants x grid x zip) a pipeline may expand to; default PIPE_MAX_SWEEP_POINTS or 10,000. */
  maxConfigs?: number;
}

/**
 * Counted before anything is expanded: a 1000x1000 grid would otherwise build a million configs (GBs) and
 * 10^12 runs out of heap. The count is a plain product, so even 10^12 is computed at once.
 */
function checkConfigCount(base: ResolvedConfig, max: number, locate: Locate, report: Report): void {
  const lengths = (m: unknown) => (isMap(m) ? Object.values(m).map((l) => (Array.isArray(l) ? l.length : 1)) : []);
  const variants = Math.max(1, isMap(base.variants) ? Object.keys(base.variants).length : 0);
  const grid = lengths(base.sweep?.grid).reduce((a, b) => a * b, 1);
  const zip = lengths(base.sweep?.zip)[0] ?? 1;
  const count = variants * grid * zip;
  if (count <= max) return;
  const where: PathSegment[] = isMap(base.sweep) ? ['sweep'] : ['variants'];
  const n = (x: number) => x.toLocaleString('en-US');
  report({
    ...locate(where, 'key'),
    path: formatPath(where),
    message:
      `expands to ${n(count)} configs (${n(variants)} variants x ${n(grid)} grid points x ${n(zip)} zip points), ` +
      `over the limit of ${n(max)}; shorten the lists, or raise the limit with --max-configs N ` +
      '(env PIPE_MAX_SWEEP_POINTS)',
  });
}

/** Compiles pipeline text; `file` is the name diagnostics use. Throws PipelineError. */
export function compilePipelineText(
  text: string,
  file: string,
  sets: readonly string[] = [],
  limits: CompileLimits = {},
): CompiledPipeline {
  const parsed = parsePipelineText(text, file);
  if (parsed.diagnostics.length > 0) throw new PipelineError(parsed.diagnostics);
  const diags: Diagnostic[] = [];
  const report: Report = (d) => diags.push(d);

  const applied = readSets(sets, report);
  // A key a --set replaced is reported against that --set, everything else against the file.
  const locate: Locate = (docPath, anchor) => {
    const set = [...applied].reverse().find((s) => isPrefix(s.path, docPath));
    return set ? setLocation(set.arg) : { file, ...parsed.map.locate(docPath, anchor) };
  };

  const raw = structuredClone(parsed.value) as Record<string, unknown>;
  if (isMap(raw)) for (const s of applied) setPath(raw, s.path, structuredClone(s.value));
  const root = rootValidator();
  if (!root(raw)) translateAjvErrors(root.errors ?? [], locate).forEach(report);
  if (isMap(raw)) checkVariantsAndSweep(raw, locate, report);
  if (diags.length > 0) throw new PipelineError(diags);

  const base = raw as unknown as ResolvedConfig;
  checkConfigCount(base, limits.maxConfigs ?? limit('sweepPoints'), locate, report);
  if (diags.length > 0) throw new PipelineError(diags);
  const configs = expandConfigs(base, locate, report);
  // After expansion: a variant may change model.kind, so each config resolves its own.
  resolveKindDefaults(base);
  for (const issue of checkReferences(base, configs))
    report({ ...locate(issue.path, issue.anchor), path: formatPath(issue.path), message: issue.message });
  if (diags.length > 0) throw new PipelineError(diags);

  const dag = buildDag(base, configs);
  const cycle = findCycle(dag.deps);
  if (cycle) throw new Error(`internal: stage DAG has a cycle ${cycle.join(' -> ')}`);
  return { config: base, configs, dag };
}
