// `pipe plan`: every stage with its fingerprint, whether the cache holds it, and if not, why.
import type { Compiled } from '../compiler/index.js';
import { depsOf, topologicalOrder } from './graph.js';
import { prepareCompiled } from './prepare.js';
import type { LocationOptions } from './settings.js';
import { explainMiss, readIndex } from './why.js';

export interface PlanRow {
  id: string;
  kind: string;
  configs: string[];
  /** Variant names of those configs. */
  variants: string[];
  deps: string[];
  fingerprint: string;
  cached: boolean;
  why?: string;
  reason?: string;
  changed?: string[];
}

export interface Plan {
  pipeline: string;
  file: string;
  cacheDir: string;
  stages: PlanRow[];
}

export async function planCompiled(compiled: Compiled, opts: LocationOptions = {}): Promise<Plan> {
  const p = await prepareCompiled(compiled, opts);
  const index = await readIndex(p.loc.cacheDir, compiled.dag.pipeline);
  const variantOf = new Map(compiled.dag.configs.map((c) => [c.id, c.variant]));
  const rows: PlanRow[] = [];
  for (const id of topologicalOrder(compiled.dag)) {
    const stage = compiled.dag.stages[id]!;
    const fp = p.fingerprints[id]!;
    const cached = !!(await p.store.lookup(fp.value));
    const row: PlanRow = {
      id,
      kind: stage.kind,
      configs: stage.configs,
      variants: [...new Set(stage.configs.map((c) => variantOf.get(c) ?? c))],
      deps: depsOf(compiled.dag, id),
      fingerprint: fp.value,
      cached,
    };
    if (!cached) {
      const why = explainMiss(index[id], fp);
      row.why = why.text;
      row.reason = why.reason;
      if (why.keys) row.changed = why.keys;
    }
    rows.push(row);
  }
  return { pipeline: compiled.dag.pipeline, file: compiled.file, cacheDir: p.loc.cacheDir, stages: rows };
}

export function formatPlan(plan: Plan): string {
  const todo = plan.stages.filter((s) => !s.cached).length;
  const lines = [
    `${plan.pipeline}: ${plan.stages.length} stages, ${plan.stages.length - todo} cached, ${todo} to run (cache ${plan.cacheDir})`,
  ];
  const idWidth = Math.max(...plan.stages.map((s) => s.id.length), 5);
  for (const s of plan.stages) {
    const state = s.cached ? 'cached' : `run    ${s.why ?? ''}`;
    const deps = s.deps.length ? ` <- ${s.deps.join(', ')}` : '';
    lines.push(`  ${s.id.padEnd(idWidth)}  ${s.fingerprint.slice(0, 12)}  ${state}${deps}`);
  }
  return lines.join('\n');
}
