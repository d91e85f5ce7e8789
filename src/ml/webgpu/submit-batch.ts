// How many dispatches tfjs-backend-webgpu records before it submits a command buffer (its flag
// WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE, 15 by default; pipe's kernels count towards the same batch). Each submit is a
// queue.submit through Dawn: about 5 % of the host's time per pix2pix step at 15 (docs/gpu.md, "Host time"), and a
// larger batch only delays when the GPU starts on work that the next steps' recording overlaps anyway. Whether that
// pays on a GPU is for bench:gpu to say, so the default stays tfjs's and PIPE_WEBGPU_SUBMIT_BATCH (or the pipeline's
// backend_options.webgpu.submit_batch) sets another.
import * as tf from '@tensorflow/tfjs-core';
import { webgpuSetting } from './settings.js';

const FLAG = 'WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE';
/** tfjs's own batch, read before pipe first sets the flag, so that a stage without the setting gets it back. */
let tfjsDefault: number | undefined;

/** Applies PIPE_WEBGPU_SUBMIT_BATCH or backend_options.webgpu.submit_batch (tfjs's 15 when neither is set). */
export function applySubmitBatch(env: NodeJS.ProcessEnv = process.env): number {
  tfjsDefault ??= Number(tf.env().get(FLAG));
  const raw = webgpuSetting('submit_batch', env); // a whole number >= 1 where set (settings.ts checks)
  const n = raw === undefined ? tfjsDefault : Number(raw);
  tf.env().set(FLAG, n);
  return n;
}
