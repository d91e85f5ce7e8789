// The one seeded random source for data sampling. Its state is plain JSON so that a training
// checkpoint can store it and a resumed run draws exactly the crops and flips it would have drawn.
import seedrandom from 'seedrandom';

export type RngState = seedrandom.State.Arc4;

export interface SeededRng {
  /** Uniform in [0, 1). */
  (): number;
  /** A copy of the generator's state; pass it back to `seededRng` to continue from here. */
  state(): RngState;
}

export function seededRng(seed: number | string, state?: RngState): SeededRng {
  const prng = seedrandom(String(seed), { state: state ?? true });
  const rng = (() => prng()) as SeededRng;
  rng.state = () => prng.state();
  return rng;
}

/** Integer in [0, n). */
export function randomInt(rng: () => number, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}

/** A Fisher-Yates permutation of 0..count-1 (one epoch's order, like a shuffling DataLoader). */
export function shuffledIndices(count: number, rng: () => number): number[] {
  const out = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = randomInt(rng, i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
