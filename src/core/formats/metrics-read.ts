// The one reader of metrics.json, for everything that reads one: the report, `pipe check`, `pipe compare`,
// --baseline. It checks the format version, the sections readers index into and every field a gate reads, so a
// damaged, truncated or foreign file is a FileFormatError (exit 2) naming the file and the field: never a PASS
// on missing data and never a TypeError. Maps keyed by user names (variants, configs, groups, summaries) come
// back as null-prototype objects, so a variant called `constructor` or `toString` is just a name.
import {
  metricsReviver,
  METRICS_FORMATS,
  type AnyMetricsFile,
  type Check,
  type MetricsFormat,
} from './metrics-file.js';
import { checkFormatField, describeJson, FileFormatError, readJsonFile } from './read-json.js';

const HINT =
  'Point at the metrics.json of a pipe run (runs/<name>/<run-id>/metrics.json) or of an evaluate stage; ' +
  'a damaged one is rewritten by rerunning the pipeline (pipe run FILE --force report).';

/**
 * Reads a metrics.json of one of `formats` (all by default), checking its format version, its sections and the
 * fields readers use; a FileFormatError (exit 2) naming the file and the field otherwise.
 */
export async function readMetricsFile<F extends MetricsFormat = MetricsFormat>(
  file: string,
  formats: readonly F[] = METRICS_FORMATS as readonly F[],
): Promise<Extract<AnyMetricsFile, { format: F }>> {
  const what = `a metrics.json (${formats.join(' or ')})`;
  const value = await readJsonFile<AnyMetricsFile>(file, {
    what,
    hint: HINT,
    reviver: metricsReviver,
    check: (v) => checkShape(v, formats),
  });
  return validateMetrics(value, new Checker(file, what)) as Extract<AnyMetricsFile, { format: F }>;
}

/**
 * Asked for some formats, the format field is checked first ("its format is X, not Y"); asked for any, the
 * field check below names `format` like any other field. A known format must have its sections.
 */
function checkShape(v: unknown, formats: readonly MetricsFormat[]): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'it is not a JSON object';
  const subset = formats.length < METRICS_FORMATS.length;
  const problem = subset ? checkFormatField(v, formats) : undefined;
  if (problem) return problem;
  const known = METRICS_FORMATS.includes((v as { format?: unknown }).format as MetricsFormat);
  return known ? missingSection(v as AnyMetricsFile) : undefined;
}

function missingSection(file: AnyMetricsFile): string | undefined {
  const sections =
    file.format === 'pipe.run/1'
      ? (['configs', 'variants', 'groups'] as const)
      : (['summary', 'images', 'directions'] as const);
  const missing = sections.filter((k) => typeof (file as unknown as Record<string, unknown>)[k] !== 'object');
  return missing.length ? `it has no ${missing.join(', ')} section` : undefined;
}

type Obj = Record<string, unknown>;

class Checker {
  constructor(
    readonly file: string,
    readonly what: string,
  ) {}

  fail(at: string, problem: string): never {
    throw new FileFormatError(this.file, this.what, problem, HINT, at || '(top level)');
  }

  describe(v: unknown): string {
    return describeJson(v);
  }

  /** A JSON object, copied onto a null prototype (user-named keys are never inherited members). */
  map(v: unknown, at: string): Obj {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      this.fail(at, `expected an object, got ${this.describe(v)}`);
    return Object.assign(Object.create(null) as Obj, v);
  }

  num(v: unknown, at: string): number {
    // NaN and ±Infinity arrive as numbers (the writer stores them as strings; the reviver restores them).
    if (typeof v !== 'number') this.fail(at, `expected a number, got ${this.describe(v)}`);
    return v;
  }

  str(v: unknown, at: string): string {
    if (typeof v !== 'string') this.fail(at, `expected a string, got ${this.describe(v)}`);
    return v;
  }

  optional<T>(v: unknown, at: string, f: (v: unknown, at: string) => T): T | null | undefined {
    return v === undefined || v === null ? (v as null | undefined) : f.call(this, v, at);
  }

  list<T>(v: unknown, at: string, f: (v: unknown, at: string) => T): T[] {
    if (!Array.isArray(v)) this.fail(at, `expected a list, got ${this.describe(v)}`);
    return v.map((x, i) => f.call(this, x, `${at}[${i}]`));
  }

  summaries(v: unknown, at: string): Obj {
    const m = this.map(v, at);
    for (const [metric, s] of Object.entries(m)) {
      const sm = this.map(s, `${at}.${metric}`);
      for (const f of ['n', 'mean', 'std', 'ci_low', 'ci_high']) this.num(sm[f], `${at}.${metric}.${f}`);
      m[metric] = sm;
    }
    return m;
  }

  keyed(v: unknown, at: string, f: (v: unknown, at: string) => Obj): Obj {
    const m = this.map(v, at);
    for (const k of Object.keys(m)) m[k] = f.call(this, m[k], `${at}.${k}`);
    return m;
  }

  aggregate(v: unknown, at: string): Obj {
    const a = this.map(v, at);
    a.summary = this.summaries(a.summary, `${at}.summary`);
    if (a.vs_baseline !== undefined) a.vs_baseline = this.map(a.vs_baseline, `${at}.vs_baseline`);
    return a;
  }

  config(v: unknown, at: string): Obj {
    const c = this.aggregate(v, at);
    this.str(c.variant, `${at}.variant`);
    c.images = this.map(c.images ?? {}, `${at}.images`);
    return c;
  }

  check(v: unknown, at: string): Check {
    const c = this.map(v, at);
    this.str(c.variant, `${at}.variant`);
    this.str(c.metric, `${at}.metric`);
    for (const k of ['min', 'max', 'by']) this.optional(c[k], `${at}.${k}`, this.num);
    this.optional(c.max_drop_vs, `${at}.max_drop_vs`, this.str);
    if (c.on !== undefined && c.on !== null && c.on !== 'mean' && c.on !== 'ci_low')
      this.fail(`${at}.on`, `expected "mean" or "ci_low", got ${this.describe(c.on)}`);
    if (c.min == null && c.max == null && c.max_drop_vs == null) this.fail(at, 'a check needs min, max or max_drop_vs');
    return c as unknown as Check;
  }
}

/** Checks the fields readers use; returns the data with user-keyed maps on null prototypes. */
function validateMetrics(data: unknown, k: Checker): AnyMetricsFile {
  const top = k.map(data, '');
  if (top.format === 'pipe.evaluate/1') {
    top.summary = k.summaries(top.summary, 'summary');
    top.images = k.map(top.images ?? {}, 'images');
    return top as unknown as AnyMetricsFile;
  }
  if (top.format !== 'pipe.run/1')
    k.fail('format', `expected "pipe.run/1" or "pipe.evaluate/1", got ${k.describe(top.format)}`);
  k.str(top.pipeline, 'pipeline');
  k.optional(top.baseline, 'baseline', k.str);
  top.metrics = k.list(top.metrics, 'metrics', k.str);
  top.configs = k.keyed(top.configs, 'configs', k.config);
  top.groups = k.keyed(top.groups ?? {}, 'groups', k.aggregate);
  top.variants = k.keyed(top.variants, 'variants', k.aggregate);
  top.checks = k.list(top.checks, 'checks', k.check);
  return top as unknown as AnyMetricsFile;
}
