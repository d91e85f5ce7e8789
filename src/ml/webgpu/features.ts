// The optional WebGPU features pipe's kernels use where the adapter offers them: `subgroups` (reductions,
// subgroups.ts) and `shader-f16` (forward-pass convolutions, f16.ts). tfjs-backend-webgpu creates its device without
// asking for any, so every adapter handed out is made to ask for them in requestDevice.
import { webgpuSetting } from './settings.js';

interface AdapterLike {
  features: { has(name: string): boolean };
  requestDevice(descriptor?: { requiredFeatures?: unknown[] }): Promise<unknown>;
}
export interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<unknown>;
}

/**
 * The features to ask for, of those the adapter offers. PIPE_WEBGPU_SUBGROUPS=0 leaves subgroups out, so that the
 * device is created as tfjs creates it. shader-f16 is always asked for where offered: it only allows `enable f16;`
 * in shaders, and whether pipe's kernels use it is decided at each use (PIPE_WEBGPU_F16, f16.ts).
 */
function wanted(adapter: AdapterLike): string[] {
  const names = webgpuSetting('subgroups') === '0' ? ['shader-f16'] : ['subgroups', 'shader-f16'];
  return names.filter((name) => adapter.features.has(name));
}

/** Makes every adapter `gpu` hands out ask for the optional features it offers when a device is requested. */
export function requestOptionalFeatures(gpu: GpuLike): void {
  const request = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (options) => {
    const adapter = (await request(options)) as AdapterLike | null;
    const extra = adapter ? wanted(adapter) : [];
    if (!adapter || extra.length === 0) return adapter;
    const requestDevice = adapter.requestDevice.bind(adapter);
    adapter.requestDevice = (d = {}) =>
      requestDevice({ ...d, requiredFeatures: [...(d.requiredFeatures ?? []), ...extra] });
    return adapter;
  };
}
