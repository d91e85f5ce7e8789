// How many dispatches tfjs-backend-webgpu records before it submits a command buffer (its flag
// WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE, 15 by default; pipe's kernels count towards the same batch). Each submit is a
// queue.submit through Dawn: about 5 % of the host's time per pix2pix step at 15 (docs/gpu.md, "Host time"), and a
// larger batch only delays when the GPU starts on work that the next steps' recording overlaps anyway. Whether that
// pays on a GPU is for bench:gpu to say, so the default stays tfjs's and PIPE_WEBGPU_SUBMIT_BATCH sets another.
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../core/errors.js';

/** Applies PIPE_WEBGPU_SUBMIT_BATCH when set, and returns the batch size in force. */
export function applySubmitBatch(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PIPE_WEBGPU_SUBMIT_BATCH;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
      throw new UserError(
        'PIPE_BAD_OPTION',
        `PIPE_WEBGPU_SUBMIT_BATCH must be a whole number of dispatches, 1 or more; got "${raw}".`,
        2,
        "Unset it to keep tfjs's batch of 15 dispatches per submit.",
      );
    }
    tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', n);
  }
  return Number(tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'));
}
