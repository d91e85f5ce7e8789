// Each weighted generator term's share of the generator loss, in the first and the last logged epoch: an
// imbalance (one term at 99 %, another at 0.01 %) shows at a glance. Shares are of the mean over the epoch's
// logged steps; terms that are zero throughout (a disabled loss) are left out.
import type { LossSeries } from './losses.js';
import type { ReportModel } from './model.js';

/** Weighted generator terms as the trainers log them (pix2pix G_*, not the unweighted L1; CycleGAN G_A/G_B and the per-side terms). */
export const isGeneratorTerm = (k: string): boolean => /^G_|^(cycle|idt|perceptual|style|lpips)_[AB]$/.test(k);

export interface EpochShares {
  epoch: number;
  /** term -> fraction of the summed generator terms (0..1). */
  shares: Record<string, number>;
}

function epochShares(s: LossSeries, terms: string[], epoch: number): EpochShares {
  const idx = s.epochs!.map((e, i) => (e === epoch ? i : -1)).filter((i) => i >= 0);
  const means = terms.map((t) => {
    const v = idx.map((i) => s.terms[t]![i]!).filter((x) => Number.isFinite(x));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0;
  });
  const total = means.reduce((a, b) => a + Math.abs(b), 0);
  return { epoch, shares: Object.fromEntries(terms.map((t, i) => [t, total > 0 ? Math.abs(means[i]!) / total : 0])) };
}

/** First and last epoch's shares; empty without epoch information or generator terms. */
export function lossShares(s: LossSeries): EpochShares[] {
  if (!s.epochs?.length) return [];
  const terms = Object.keys(s.terms).filter(
    (t) => isGeneratorTerm(t) && s.terms[t]!.some((v) => Number.isFinite(v) && v !== 0),
  );
  if (!terms.length) return [];
  const epochs = s.epochs.filter((e) => Number.isFinite(e));
  if (!epochs.length) return [];
  const first = Math.min(...epochs);
  const last = Math.max(...epochs);
  return (first === last ? [first] : [first, last]).map((e) => epochShares(s, terms, e));
}

/** "G_GAN 2.1 % · G_L1 80.3 % · G_perceptual 17.6 %" */
export function formatShares(e: EpochShares): string {
  return Object.entries(e.shares)
    .map(([t, v]) => `${t} ${pct(v)}`)
    .join(' · ');
}

const pct = (v: number) => (v >= 0.001 || v === 0 ? `${(100 * v).toFixed(1)} %` : `${(100 * v).toExponential(0)} %`);

/** One row per config and epoch (first, last) for the report's table. */
export function sharesRows(model: Pick<ReportModel, 'losses'>): { id: string; epoch: number; text: string }[] {
  return Object.entries(model.losses).flatMap(([id, s]) =>
    lossShares(s).map((e) => ({ id, epoch: e.epoch, text: formatShares(e) })),
  );
}
