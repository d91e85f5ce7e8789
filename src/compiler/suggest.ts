// Did-you-mean for misspelled keys and enum values.
import { closest, distance } from 'fastest-levenshtein';

/** The closest candidate when it is near enough to be a likely typo, else undefined. */
/** Names other tools use for a key of ours (pytorch-CycleGAN-and-pix2pix options, common habits). */
const ALIASES: Record<string, string> = {
  learning_rate: 'lr',
  lerning_rate: 'lr',
  n_epochs: 'epochs',
  niter: 'epochs',
  n_epochs_decay: 'epochs_decay',
  niter_decay: 'epochs_decay',
  batchsize: 'batch_size',
  netG: 'generator',
  netD: 'discriminator',
  lambda_L1: 'weight',
  preprocess: 'load_size',
  no_flip: 'flip',
  dataroot: 'path',
};

export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const alias = ALIASES[input];
  if (alias && candidates.includes(alias)) return alias;
  // One- and two-letter names are too short for a meaningful guess.
  if (input.length < 3) return undefined;
  const best = closest(input, candidates);
  const d = distance(input.toLowerCase(), best.toLowerCase());
  // Up to a third of the word (at least 2 edits: a swapped pair) may differ: lsgna -> lsgan, epoch -> epochs.
  return d < input.length && d <= Math.max(2, Math.floor(Math.max(input.length, best.length) / 3)) ? best : undefined;
}

export function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

/** ` (did you mean "x"?)` or `; allowed keys: a, b, c`. */
export function unknownNameHint(input: string, candidates: readonly string[], noun = 'allowed keys'): string {
  const best = didYouMean(input, candidates);
  if (best) return ` (did you mean "${best}"?)`;
  return candidates.length > 0 ? `; ${noun}: ${listValues(candidates)}` : '';
}
