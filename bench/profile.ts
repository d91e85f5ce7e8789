// Per-kernel CPU-time profile of one training step, grouped by kernel and by kernel + input shapes, heaviest first.
import * as tf from '@tensorflow/tfjs-core';

export interface KernelRow {
  kernel: string;
  calls: number;
  ms: number;
  share: number;
}

export interface StepProfile {
  total_ms: number;
  kernel_ms: number;
  byKernel: KernelRow[];
  byShape: (KernelRow & { shapes: string })[];
}

interface Acc {
  calls: number;
  ms: number;
}

/**
 * CPU time (process.cpuUsage, user + system of every thread) by default, because the benchmark machine is shared: a
 * kernel's wall time includes whatever else ran meanwhile. With threads, CPU time adds up all of them and hides what
 * runs alone, so 'wall' (on a quiet machine) is the profile that shows what limits thread scaling.
 */
export type ProfileClock = 'cpu' | 'wall';

function clockMs(clock: ProfileClock): () => number {
  if (clock === 'wall') return () => performance.now();
  return () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
}

/**
 * Wraps every kernel of the active backend to charge its time to the kernel and its input shapes. Valid for the
 * synchronous backends (cpu, wasm).
 */
function instrument(now: () => number): {
  rows: Map<string, Acc & { kernel: string; shapes: string }>;
  restore(): void;
} {
  const backend = tf.getBackend();
  const rows = new Map<string, Acc & { kernel: string; shapes: string }>();
  const originals = tf.getKernelsForBackend(backend);
  for (const k of originals) {
    const inner = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const t0 = now();
        const out = inner(args);
        const ms = now() - t0;
        const shapes = Object.values(args.inputs)
          .map((t) => `[${(t as tf.TensorInfo).shape}]`)
          .join(' ');
        const key = `${k.kernelName} ${shapes}`;
        const r = rows.get(key) ?? { kernel: k.kernelName, shapes, calls: 0, ms: 0 };
        r.calls++;
        r.ms += ms;
        rows.set(key, r);
        return out;
      },
    });
  }
  return {
    rows,
    restore() {
      for (const k of originals) {
        tf.unregisterKernel(k.kernelName, backend);
        tf.registerKernel(k);
      }
    },
  };
}

export async function profileStep(run: () => unknown, clock: ProfileClock = 'cpu'): Promise<StepProfile> {
  const now = clockMs(clock);
  const probe = instrument(now);
  const t0 = now();
  try {
    await run();
  } finally {
    probe.restore();
  }
  const total = now() - t0;
  const byKernel = new Map<string, Acc>();
  let kernelMs = 0;
  for (const r of probe.rows.values()) {
    kernelMs += r.ms;
    const a = byKernel.get(r.kernel) ?? { calls: 0, ms: 0 };
    a.calls += r.calls;
    a.ms += r.ms;
    byKernel.set(r.kernel, a);
  }
  const round = (x: number) => Number(x.toFixed(1));
  return {
    total_ms: round(total),
    kernel_ms: round(kernelMs),
    byKernel: [...byKernel.entries()]
      .map(([kernel, v]) => ({ kernel, calls: v.calls, ms: round(v.ms), share: round((100 * v.ms) / kernelMs) }))
      .sort((x, y) => y.ms - x.ms),
    byShape: [...probe.rows.values()]
      .map((v) => ({ ...v, ms: round(v.ms), share: round((100 * v.ms) / kernelMs) }))
      .sort((x, y) => y.ms - x.ms)
      .slice(0, 200),
  };
}

/** Plain-text rendering of a profile (the tables behind docs/performance.md). */
export function formatProfile(p: StepProfile, top = 15): string {
  const lines = [
    `step ${p.total_ms} ms CPU, in kernels ${p.kernel_ms} ms`,
    '',
    '| kernel | calls | ms | % |',
    '|---|---|---|---|',
  ];
  for (const r of p.byKernel.slice(0, top)) lines.push(`| ${r.kernel} | ${r.calls} | ${r.ms} | ${r.share} |`);
  lines.push('', '| kernel + shapes | calls | ms | % |', '|---|---|---|---|');
  for (const r of p.byShape.slice(0, top))
    lines.push(`| ${r.kernel} ${r.shapes} | ${r.calls} | ${r.ms} | ${r.share} |`);
  return lines.join('\n');
}
