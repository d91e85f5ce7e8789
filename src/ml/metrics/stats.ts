// Summary statistics for metric values: mean, sample std, a seeded percentile-bootstrap 95 %
// interval, the interval across seeds (Student t on the seed means) and the paired t-test.
// Student t comes from the regularized incomplete beta function (Numerical Recipes' continued
// fraction); stats.test.ts checks it against scipy.
import seedrandom from 'seedrandom';
import type { PairedTest, Summary } from '../../core/formats/metrics-file.js';

export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}

/** Linear-interpolated quantile of sorted values (numpy's default method). */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (lo === hi || sorted[lo] === sorted[hi]) return sorted[lo];
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface BootstrapOptions {
  resamples?: number;
  seed?: string | number;
  /** Statistic of a resample; the mean unless given. */
  statistic?: (values: number[]) => number;
}

/** Percentile bootstrap 95 % interval of the statistic; the same seed gives the same interval. */
export function bootstrapInterval(values: readonly number[], options: BootstrapOptions = {}): [number, number] {
  const { resamples = 1000, seed = 0, statistic = mean } = options;
  const n = values.length;
  if (n === 0) return [NaN, NaN];
  if (n === 1) {
    const v = statistic([values[0]]);
    return [v, v];
  }
  const rng = seedrandom(String(seed));
  const stats: number[] = new Array(resamples);
  const sample: number[] = new Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(rng() * n)];
    stats[r] = statistic(sample);
  }
  stats.sort((a, b) => a - b);
  return [quantileSorted(stats, 0.025), quantileSorted(stats, 0.975)];
}

/** Mean, std and bootstrap interval of per-image values. */
export function summarize(values: readonly number[], options: BootstrapOptions = {}): Summary {
  const [lo, hi] = bootstrapInterval(values, options);
  return {
    n: values.length,
    mean: (options.statistic ?? mean)([...values]),
    std: sampleStd(values),
    ci_low: lo,
    ci_high: hi,
  };
}

/** Mean of seed means with a Student-t 95 % interval across seeds (the seed is the unit of replication). */
export function aggregateSeeds(seedMeans: readonly number[]): Summary {
  const n = seedMeans.length;
  const m = mean(seedMeans);
  const sd = sampleStd(seedMeans);
  if (n < 2) return { n, mean: m, std: 0, ci_low: m, ci_high: m };
  const half = studentTQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { n, mean: m, std: sd, ci_low: m - half, ci_high: m + half };
}

/** Paired two-sided t-test of x against y (as scipy.stats.ttest_rel). */
export function pairedTTest(x: readonly number[], y: readonly number[]): PairedTest {
  if (x.length !== y.length) throw new Error(`paired t-test needs equal lengths, got ${x.length} and ${y.length}`);
  const d = x.map((v, i) => v - y[i]);
  const n = d.length;
  const md = mean(d);
  const sd = sampleStd(d);
  const df = n - 1;
  if (n < 2) return { test: 'paired t-test', n, mean_diff: md, t: NaN, df, p: NaN };
  if (sd === 0)
    return {
      test: 'paired t-test',
      n,
      mean_diff: md,
      t: md === 0 ? NaN : Math.sign(md) * Infinity,
      df,
      p: md === 0 ? NaN : 0,
    };
  const t = md / (sd / Math.sqrt(n));
  return { test: 'paired t-test', n, mean_diff: md, t, df, p: studentTTwoSidedP(t, df) };
}

// ---- Student t ----

function logGamma(x: number): number {
  // Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0.
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(|T| >= |t|) for Student t with df degrees of freedom. */
export function studentTTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return Number.isNaN(t) ? NaN : 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** P(T <= t). */
export function studentTCdf(t: number, df: number): number {
  const tail = studentTTwoSidedP(t, df) / 2;
  return t >= 0 ? 1 - tail : tail;
}

/** Inverse CDF by bisection (monotone, plenty fast for a handful of calls). */
export function studentTQuantile(q: number, df: number): number {
  let lo = -1e6;
  let hi = 1e6;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < q) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-12 * Math.max(1, Math.abs(mid))) break;
  }
  return (lo + hi) / 2;
}
