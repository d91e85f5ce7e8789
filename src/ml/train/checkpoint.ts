// Resumable checkpoints in the stage's work folder: `ckpt-<epoch>/` holding every weight, Adam moment
// and pool image (state.json + state.bin) and the loop state (step, epoch, Adam step counts, loss
// history) in the manifest's meta. Written to a temp folder and renamed, so a kill never leaves a
// half checkpoint; older ones are removed after the rename.
import type { SavedConvChoices } from '../webgpu/conv-autotune.js';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { readTensors, writeTensors } from '../models/tensor-file.js';

export interface LossRecord {
  step: number;
  epoch: number;
  lr: number;
  [term: string]: number;
}

export interface LoopState {
  /** Global steps completed. */
  step: number;
  /** Epochs completed. */
  epoch: number;
  adamSteps: Record<string, number>;
  lossHistory: LossRecord[];
  /** Randomness is derived from (seed, stream, epoch/step), so the position is the state. */
  rng: { seed: number; scheme: 'seed/stream/step' };
  /** Wall seconds spent training so far (for seconds/step across resumes). */
  seconds: number;
  /**
   * PIPE_WEBGPU_CONV_AUTOTUNE=1: the kernel chosen per convolution product, and the adapter they were timed on, so
   * that a resumed run continues on the same kernels (webgpu/conv-autotune.ts).
   */
  convAutotune?: SavedConvChoices;
}

const PREFIX = 'ckpt-';

export async function saveCheckpoint(
  workDir: string,
  state: LoopState,
  tensors: Record<string, tf.Tensor>,
): Promise<string> {
  await fs.mkdir(workDir, { recursive: true });
  const tmp = path.join(workDir, `.tmp-${PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(tmp);
  await writeTensors(tmp, 'state', tensors, state);
  const dest = path.join(workDir, `${PREFIX}${String(state.epoch).padStart(5, '0')}`);
  await fs.rm(dest, { recursive: true, force: true });
  await fs.rename(tmp, dest);
  for (const old of await listCheckpoints(workDir))
    if (old !== dest) await fs.rm(old, { recursive: true, force: true });
  return dest;
}

async function listCheckpoints(workDir: string): Promise<string[]> {
  const names = await fs.readdir(workDir).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(PREFIX))
    .sort()
    .map((n) => path.join(workDir, n));
}

/** The newest complete checkpoint, or undefined. The caller owns the returned tensors. */
export async function loadLatestCheckpoint(
  workDir: string,
): Promise<{ dir: string; state: LoopState; tensors: Record<string, tf.Tensor> } | undefined> {
  const all = await listCheckpoints(workDir);
  for (const dir of all.reverse()) {
    try {
      const { tensors, meta } = await readTensors(dir, 'state');
      return { dir, state: meta as LoopState, tensors };
    } catch {
      // An unreadable checkpoint (e.g. from an older format) is skipped; training restarts before it.
    }
  }
  return undefined;
}
