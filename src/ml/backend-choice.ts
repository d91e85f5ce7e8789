// The rule `auto` follows, as pure functions so it is tested without the hardware it describes:
// tensorflow-gpu when it loads; else webgpu on a hardware adapter (a software rasteriser such as Mesa llvmpipe is
// correct but slower than wasm, so it is never picked on its own); else tensorflow, wasm, cpu.
import type { ConcreteBackend } from '../core/backends.js';
import { isSoftwareAdapter, type ProbeResult } from './doctor/webgpu-probe.js';

export type ConcreteBackendName = ConcreteBackend;

/** Order tried by `auto`, webgpu included; whether webgpu is tried depends on the adapter (webgpuVerdict). */
export const AUTO_CANDIDATES: ConcreteBackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/** Whether `auto` should try webgpu, and if not why. */
export function webgpuVerdict(probe: ProbeResult): { use: true } | { use: false; reason: string } {
  if (!probe.found) return { use: false, reason: probe.reason };
  const a = probe.adapter;
  if (isSoftwareAdapter(a)) {
    return {
      use: false,
      reason: `the WebGPU adapter is a software rasteriser (${a.device || a.description}); ask for it with --backend webgpu`,
    };
  }
  return { use: true };
}

export interface LoadOutcome {
  loads: boolean;
  reason?: string;
}

/**
 * The backend `auto` lands on given what loads (as `pipe doctor` found it) and the adapter probe, with the reason
 * each earlier candidate was passed over.
 */
export function pickAuto(
  loads: Partial<Record<ConcreteBackendName, LoadOutcome>>,
  probe: ProbeResult,
): { backend: ConcreteBackendName; passedOver: { backend: ConcreteBackendName; reason: string }[] } {
  const passedOver: { backend: ConcreteBackendName; reason: string }[] = [];
  for (const name of AUTO_CANDIDATES) {
    if (name === 'webgpu') {
      const v = webgpuVerdict(probe);
      if (!v.use) {
        passedOver.push({ backend: name, reason: v.reason });
        continue;
      }
    }
    const l = loads[name];
    if (l?.loads) return { backend: name, passedOver };
    passedOver.push({ backend: name, reason: l?.reason ?? 'not tried' });
  }
  return { backend: 'cpu', passedOver };
}
