// Randomness derived from (seed, stream, step) instead of one advancing generator: a resumed run draws
// exactly what the uninterrupted run drew at the same step, and the checkpoint only needs the step.
import seedrandom from 'seedrandom';
import { hashSeed } from '../models/params.js';

export type Rng = () => number;

export function stepRng(seed: number, stream: string, step: number): Rng {
  return seedrandom(`${seed}/${stream}/${step}`);
}

/** A source of integer seeds for tf random ops (dropout masks). */
export function seedSource(rng: Rng): () => number {
  return () => hashSeed(Math.floor(rng() * 0x100000000));
}
