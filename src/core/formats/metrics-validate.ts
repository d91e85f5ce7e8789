// The one validating reader of metrics.json for gates (`pipe check`, `pipe compare`, --baseline): a
// damaged, truncated or foreign file is exit 2 naming the file and the field, never a PASS on missing
// data and never a TypeError. Maps keyed by user names (variants, configs, groups, summaries) come
// back as null-prototype objects, so a variant called `constructor` or `toString` is just a name.
import { UserError } from '../errors.js';
import { readBounded } from '../bounded-read.js';
import { parseMetricsJson, type AnyMetricsFile, type Check, type RunMetricsFile } from './metrics-file.js';

export class MetricsFileError extends UserError {
  constructor(file: string, field: string, problem: string) {
    super(
      'PIPE_METRICS_INVALID',
      `${file}: ${field}: ${problem}. The file is damaged or was not written by pipe; ` +
        'rewrite it by rerunning the pipeline (pipe run FILE --force report), or point at another run.',
      2,
    );
  }
}

type Obj = Record<string, unknown>;

class Checker {
  constructor(readonly file: string) {}

  fail(at: string, problem: string): never {
    throw new MetricsFileError(this.file, at || '(top level)', problem);
  }

  describe(v: unknown): string {
    if (v === null) return 'null';
    if (Array.isArray(v)) return 'a list';
    if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
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

/** Validates parsed metrics data; returns it with user-keyed maps on null prototypes. */
export function validateMetrics(data: unknown, file: string): AnyMetricsFile {
  const k = new Checker(file);
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

/** Reads, parses and validates a metrics.json (size-capped, regular files only); errors are exit 2. */
export async function readValidatedMetrics(file: string): Promise<AnyMetricsFile> {
  const bytes = await readBounded(file, {
    limit: 'jsonBytes',
    what: 'metrics file',
    code: 'PIPE_METRICS_UNREADABLE',
    exitCode: 2,
  });
  let data: unknown;
  try {
    data = parseMetricsJson<unknown>(bytes.toString('utf8'));
  } catch (err) {
    throw new MetricsFileError(file, '(file)', `not valid JSON (${(err as Error).message}); it may be truncated`);
  }
  return validateMetrics(data, file);
}

/** A run-level metrics.json (`pipe.run/1`). */
export async function readValidatedRunMetrics(file: string): Promise<RunMetricsFile> {
  const m = await readValidatedMetrics(file);
  if (m.format !== 'pipe.run/1')
    throw new MetricsFileError(file, 'format', `expected a run's metrics.json ("pipe.run/1"), got "${m.format}"`);
  return m;
}
