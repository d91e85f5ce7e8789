// shader-f16 for the convolutions of forward passes, opt-in with PIPE_WEBGPU_F16=1. The operands are rounded to f16
// as they enter the kernel's workgroup tiles; products and sums stay f32 (conv.ts), so a result is the f32 kernel's
// on rounded operands, as with TF32 on NVIDIA GPUs. Backward passes stay f32: gradients are small enough that f16's
// range (normal down to 6e-5) would need loss scaling. Opt-in because it changes results (pix2pix losses by up to
// 7.4e-4 relative over two steps, against 2.4e-7 for f32) and what it gains on a GPU is not measured yet:
// `npm run bench:gpu` times both.
import * as tf from '@tensorflow/tfjs-core';
import { isWebgpu, webgpuBackend } from './kernel.js';
import { pipelineError } from './subgroups.js';
import { webgpuSetting } from './settings.js';

/**
 * Whether PIPE_WEBGPU_F16=1 or backend_options.webgpu.f16 asks for f16 (read at each use, so tests can compare both
 * paths in one process).
 */
const turnedOn = () => webgpuSetting('f16') === '1';

/** Per device: 'available', or why f16 cannot be used. */
const availability = new WeakMap<object, string>();

/**
 * Decides, once per device, whether the f16 kernels can run on the active webgpu backend: the adapter must offer
 * shader-f16 and the device must compile `shader` (an f16 conv kernel) without error. Returns the backend record's
 * line: used, off, or why not.
 */
export async function probeF16(shader: string): Promise<string> {
  const b = webgpuBackend();
  let known = availability.get(b.device);
  if (!known) {
    known = 'available';
    if (!b.device.features.has('shader-f16')) {
      known = 'not offered by the adapter';
    } else {
      const error = await pipelineError(b.device, shader);
      if (error) known = `not usable: the device rejected an f16 shader (${error})`;
    }
    availability.set(b.device, known);
  }
  if (known !== 'available') return known;
  return turnedOn() ? 'used' : 'off (available: PIPE_WEBGPU_F16=1 or backend_options.webgpu.f16: true uses it)';
}

/** Whether forward-pass convolutions use f16 operands now: on webgpu, available, and asked for. */
export function f16InUse(): boolean {
  return isWebgpu() && turnedOn() && availability.get(webgpuBackend().device) === 'available';
}

/** Whether the active webgpu device can run the f16 kernels (for tests). */
export function f16Available(): boolean {
  return tf.getBackend() === 'webgpu' && availability.get(webgpuBackend().device) === 'available';
}
