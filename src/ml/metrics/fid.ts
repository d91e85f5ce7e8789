// FID and KID on feature sets (rows of a row-major n x d array), in float64.
//
// FID (Heusel et al. 2017) = |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrtm(S1 S2), S = sample covariance (n - 1).
// pytorch-fid takes scipy.linalg.sqrtm of the non-symmetric product S1 S2 and drops an imaginary part; with fewer
// images than dimensions (2048) both covariances are singular and that route is at its least accurate. Here the trace
// is taken without forming S1 S2: write Si = Fi Fi^T (Fi = centred features^T / sqrt(n - 1) when n <= d, else
// V sqrt(L) from Si's symmetric eigendecomposition). The eigenvalues of S1 S2 are those of (F1^T F2)(F1^T F2)^T, so
// tr sqrtm(S1 S2) is the sum of the singular values of the small matrix F1^T F2: an SVD of a symmetric-PSD-derived
// matrix, real by construction, no offset needed.
//
// KID (Binkowski et al. 2018) = unbiased MMD^2 with the polynomial kernel k(x, y) = (x.y / d + 1)^3, averaged over
// random subsets of equal size from each set; reported as mean and (population) std over subsets, as torch-fidelity.
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';
import seedrandom from 'seedrandom';

export interface FeatureSet {
  /** Row-major n x d. */
  data: Float32Array | Float64Array;
  n: number;
  d: number;
}

function meanAndCentered(s: FeatureSet): { mean: Float64Array; centered: Matrix } {
  const mean = new Float64Array(s.d);
  for (let i = 0; i < s.n; i++) for (let j = 0; j < s.d; j++) mean[j]! += s.data[i * s.d + j]!;
  for (let j = 0; j < s.d; j++) mean[j]! /= s.n;
  const centered = new Matrix(s.n, s.d);
  for (let i = 0; i < s.n; i++) for (let j = 0; j < s.d; j++) centered.set(i, j, s.data[i * s.d + j]! - mean[j]!);
  return { mean, centered };
}

/** F with S = F F^T (d x r), r = min(n, d). */
function covarianceFactor(centered: Matrix): Matrix {
  const n = centered.rows;
  const d = centered.columns;
  if (n <= d) return centered.transpose().div(Math.sqrt(n - 1));
  const cov = centered
    .transpose()
    .mmul(centered)
    .div(n - 1);
  const eig = new EigenvalueDecomposition(cov, { assumeSymmetric: true });
  const v = eig.eigenvectorMatrix;
  eig.realEigenvalues.forEach((l, k) => {
    // Rounding can leave tiny negative eigenvalues of a PSD matrix: they are zero.
    const s = Math.sqrt(Math.max(l, 0));
    for (let i = 0; i < d; i++) v.set(i, k, v.get(i, k) * s);
  });
  return v;
}

function checkSets(a: FeatureSet, b: FeatureSet, what: string): void {
  if (a.d !== b.d) throw new Error(`${what}: feature sets differ in dimension (${a.d} vs ${b.d})`);
  if (a.n < 2 || b.n < 2) throw new Error(`${what}: needs at least 2 images per set (got ${a.n} and ${b.n})`);
}

export function frechetDistance(a: FeatureSet, b: FeatureSet): number {
  checkSets(a, b, 'FID');
  const A = meanAndCentered(a);
  const B = meanAndCentered(b);
  const f1 = covarianceFactor(A.centered);
  const f2 = covarianceFactor(B.centered);
  const frob = (m: Matrix) => m.to1DArray().reduce((s, v) => s + v * v, 0);
  const cross = f1.transpose().mmul(f2);
  const svd = new SingularValueDecomposition(cross, {
    computeLeftSingularVectors: false,
    computeRightSingularVectors: false,
    autoTranspose: true,
  });
  const trSqrt = svd.diagonal.reduce((s, v) => s + v, 0);
  let meanTerm = 0;
  for (let j = 0; j < a.d; j++) meanTerm += (A.mean[j]! - B.mean[j]!) ** 2;
  // Exact arithmetic never goes below 0; rounding on identical sets can give -1e-12.
  return Math.max(0, meanTerm + frob(f1) + frob(f2) - 2 * trSqrt);
}

/** Polynomial-kernel Gram matrix k(x_i, y_j) = (x_i . y_j / d + 1)^3, n1 x n2 row-major. */
function polyGram(x: FeatureSet, y: FeatureSet): Float64Array {
  const d = x.d;
  const out = new Float64Array(x.n * y.n);
  const row = new Float64Array(d);
  for (let i = 0; i < x.n; i++) {
    for (let k = 0; k < d; k++) row[k] = x.data[i * d + k]!;
    for (let j = 0; j < y.n; j++) {
      let dot = 0;
      const off = j * d;
      for (let k = 0; k < d; k++) dot += row[k]! * y.data[off + k]!;
      out[i * y.n + j] = (dot / d + 1) ** 3;
    }
  }
  return out;
}

export interface KidResult {
  mean: number;
  /** Population std over subsets (torch-fidelity's convention). */
  std: number;
  values: number[];
  subsetSize: number;
}

/** Unbiased MMD^2 of each (subsetX[s], subsetY[s]) pair, from precomputed Gram matrices. */
function subsetMmd(
  kxx: Float64Array,
  kyy: Float64Array,
  kxy: Float64Array,
  n1: number,
  n2: number,
  ix: number[],
  iy: number[],
): number {
  const m = ix.length;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let p = 0; p < m; p++) {
    for (let q = 0; q < m; q++) {
      if (p !== q) {
        sxx += kxx[ix[p]! * n1 + ix[q]!]!;
        syy += kyy[iy[p]! * n2 + iy[q]!]!;
      }
      sxy += kxy[ix[p]! * n2 + iy[q]!]!;
    }
  }
  return sxx / (m * (m - 1)) + syy / (m * (m - 1)) - (2 * sxy) / (m * m);
}

/** KID on given subsets (index lists of equal length into x and y). */
export function kidOnSubsets(x: FeatureSet, y: FeatureSet, subsetsX: number[][], subsetsY: number[][]): KidResult {
  checkSets(x, y, 'KID');
  const [kxx, kyy, kxy] = [polyGram(x, x), polyGram(y, y), polyGram(x, y)];
  const values = subsetsX.map((ix, s) => subsetMmd(kxx, kyy, kxy, x.n, y.n, ix, subsetsY[s]!));
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
  return { mean, std, values, subsetSize: subsetsX[0]?.length ?? 0 };
}

/** m distinct indices of 0..n-1 (partial Fisher-Yates with a seeded generator). */
function sampleWithoutReplacement(n: number, m: number, rng: () => number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(rng() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, m);
}

export interface KidOptions {
  /** Images per subset; capped at the smaller set (default 1000, torch-fidelity's). */
  subsetSize?: number;
  /** Default 100. */
  subsets?: number;
  seed?: string;
}

export function kernelInceptionDistance(x: FeatureSet, y: FeatureSet, opts: KidOptions = {}): KidResult {
  checkSets(x, y, 'KID');
  const m = Math.min(opts.subsetSize ?? 1000, x.n, y.n);
  const rng = seedrandom(opts.seed ?? 'pipe-kid');
  const sx: number[][] = [];
  const sy: number[][] = [];
  for (let s = 0; s < (opts.subsets ?? 100); s++) {
    sx.push(sampleWithoutReplacement(x.n, m, rng));
    sy.push(sampleWithoutReplacement(y.n, m, rng));
  }
  return kidOnSubsets(x, y, sx, sy);
}
