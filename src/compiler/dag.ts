// Graph algorithms over the plain `deps` record (stage id -> ids it depends on), as free functions.
import { PipeError } from '../core/errors.js';

export type Deps = Readonly<Record<string, readonly string[]>>;

/**
 * The DAG has a cycle (or a dependency on an unknown stage); lists the offending ids. The compiler reports cycles
 * as diagnostics before it orders stages, so reaching this is a bug: internal class, printed with its stack.
 */
export class DagError extends PipeError {
  readonly ids: string[];
  constructor(message: string, ids: string[]) {
    super('PIPE_DAG_INVALID', `${message}: ${ids.join(' -> ')}`, { exitClass: 'internal' });
    this.name = 'DagError';
    this.ids = ids;
  }
}

/** A cycle as a list of ids (first id repeated at the end), or null. */
export function findCycle(deps: Deps): string[] | null {
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | null => {
    const s = state.get(id);
    if (s === 'done') return null;
    if (s === 'active') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'active');
    stack.push(id);
    for (const dep of deps[id] ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(id, 'done');
    return null;
  };
  for (const id of Object.keys(deps)) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return null;
}

function checkKnown(deps: Deps): void {
  for (const [id, ds] of Object.entries(deps)) {
    for (const d of ds) if (!(d in deps)) throw new DagError('unknown dependency', [id, d]);
  }
}

/**
 * Waves of stages: each wave depends only on earlier waves. Order inside a wave follows the
 * order of `deps`' keys, so the result is deterministic.
 */
export function topologicalWaves(deps: Deps): string[][] {
  checkKnown(deps);
  const cycle = findCycle(deps);
  if (cycle) throw new DagError('dependency cycle', cycle);
  const placed = new Set<string>();
  const waves: string[][] = [];
  let rest = Object.keys(deps);
  while (rest.length > 0) {
    const wave = rest.filter((id) => deps[id].every((d) => placed.has(d)));
    wave.forEach((id) => placed.add(id));
    waves.push(wave);
    rest = rest.filter((id) => !placed.has(id));
  }
  return waves;
}

/**
 * Every stage after all of its dependencies: the order `pipe plan` shows and the runtime starts stages in.
 * Stable: repeated passes in the order of `deps`' keys, a stage joining as soon as its dependencies have.
 */
export function topologicalOrder(deps: Deps): string[] {
  checkKnown(deps);
  const cycle = findCycle(deps);
  if (cycle) throw new DagError('dependency cycle', cycle);
  const ids = Object.keys(deps);
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < ids.length) {
    for (const id of ids) {
      if (done.has(id) || !deps[id].every((d) => done.has(d))) continue;
      done.add(id);
      order.push(id);
    }
  }
  return order;
}

/** Stages that depend on `id`, directly or not (what must rerun or be skipped when it changes or fails). */
export function dependents(deps: Deps, id: string): string[] {
  const out = new Set<string>();
  const frontier = [id];
  while (frontier.length > 0) {
    const cur = frontier.pop() as string;
    for (const [other, ds] of Object.entries(deps)) {
      if (ds.includes(cur) && !out.has(other)) {
        out.add(other);
        frontier.push(other);
      }
    }
  }
  return Object.keys(deps).filter((k) => out.has(k));
}

/** Stages `id` depends on, directly or not. */
export function dependencies(deps: Deps, id: string): string[] {
  const out = new Set<string>();
  const frontier = [...(deps[id] ?? [])];
  while (frontier.length > 0) {
    const cur = frontier.pop() as string;
    if (out.has(cur)) continue;
    out.add(cur);
    frontier.push(...(deps[cur] ?? []));
  }
  return Object.keys(deps).filter((k) => out.has(k));
}
