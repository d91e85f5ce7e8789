// From bench:gpu's variant lines to a `backend_options.webgpu` block for the user's pipelines: each setting that
// made every config it was tried on faster than the defaults, by more than run-to-run noise. Settings were timed
// one at a time, not together, so the block is a starting point that a pipeline run confirms.

/** The variable bench:gpu sets for a variant, and the pipeline key and value it stands for. */
const KEYS: Record<string, [key: string, value: boolean | number | string]> = {
  'PIPE_WEBGPU_CONV_AUTOTUNE=1': ['conv_autotune', true],
  'PIPE_WEBGPU_BACKBONE_CONV=pipe': ['backbone_conv', 'pipe'],
  'PIPE_WEBGPU_SUBGROUPS=0': ['subgroups', false],
  'PIPE_WEBGPU_F16=1': ['f16', true],
  'PIPE_WEBGPU_SUBMIT_BATCH=64': ['submit_batch', 64],
  'PIPE_WEBGPU_KERNELS=stock': ['kernels', 'stock'],
};

/** Settings that change what is computed, not only how fast: suggested apart, never in the block. */
const CHANGES_RESULTS = new Set(['f16']);

/** Faster means at least this much less time per step: below it, run-to-run noise on a GPU host. */
export const MIN_GAIN = 0.03;

export interface Timed {
  config: string;
  /** The variant's variable, e.g. PIPE_WEBGPU_CONV_AUTOTUNE=1; absent for the defaults. */
  variant?: string;
  ours_s: number | null;
}

export interface Recommendation {
  measure: 'recommended';
  /** For the pipeline's `backend_options: { webgpu: ... }`. */
  webgpu: Record<string, boolean | number | string>;
  /** Faster too, but changes results (f16): for the user to weigh. */
  also_faster_changes_results: Record<string, boolean | number | string>;
  /** Per setting: its time per step over the defaults' on each config it was tried on (below 1 is faster). */
  speedups: Record<string, Record<string, number>>;
}

/** Each setting's time over the defaults', per config; settings or configs without both times are left out. */
function relativeTimes(lines: Timed[]): Map<string, Record<string, number>> {
  const base = new Map(lines.filter((l) => !l.variant && l.ours_s).map((l) => [l.config, l.ours_s!]));
  const out = new Map<string, Record<string, number>>();
  for (const l of lines) {
    const b = base.get(l.config);
    if (!l.variant || !KEYS[l.variant] || !l.ours_s || !b) continue;
    out.set(l.variant, { ...out.get(l.variant), [l.config]: Number((l.ours_s / b).toFixed(3)) });
  }
  return out;
}

export function recommend(lines: Timed[]): Recommendation {
  const r: Recommendation = { measure: 'recommended', webgpu: {}, also_faster_changes_results: {}, speedups: {} };
  for (const [variant, ratios] of relativeTimes(lines)) {
    const [key, value] = KEYS[variant]!;
    r.speedups[key] = ratios;
    if (!Object.values(ratios).every((x) => x <= 1 - MIN_GAIN)) continue;
    if (CHANGES_RESULTS.has(key)) r.also_faster_changes_results[key] = value;
    else r.webgpu[key] = value;
  }
  return r;
}

/** The block as YAML to paste into a pipeline, or a line saying the defaults stay. */
export function asYaml(r: Recommendation): string {
  const entries = Object.entries(r.webgpu);
  if (!entries.length) return '# no setting beat the defaults here: leave backend_options.webgpu out';
  const inner = entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
  return `backend_options:\n  webgpu: { ${inner} }`;
}
