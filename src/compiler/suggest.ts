// Did-you-mean for misspelled keys and enum values.
import { closest, distance } from 'fastest-levenshtein';

/** The closest candidate when it is near enough to be a likely typo, else undefined. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(input, candidates);
  const d = distance(input.toLowerCase(), best.toLowerCase());
  // Up to a third of the word may differ (lerning_rate -> learning_rate, epoch -> epochs).
  return d <= Math.max(1, Math.floor(Math.max(input.length, best.length) / 3)) ? best : undefined;
}

export function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

/** `; did you mean "x"?` or `; allowed: a, b, c` (short lists only). */
export function unknownNameHint(input: string, candidates: readonly string[], noun = 'allowed keys'): string {
  const best = didYouMean(input, candidates);
  if (best) return `; did you mean "${best}"?`;
  return candidates.length > 0 ? `; ${noun}: ${listValues(candidates)}` : '';
}
