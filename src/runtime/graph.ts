// The runtime's view of the compiler's DAG (stages with inputs): ordering comes from compiler/dag.ts, the one
// graph module; this file adds what only the runtime needs (--only selection, dependents). No I/O.
import picomatch from 'picomatch';
import { DagError, dependencies, topologicalOrder as orderDeps } from '../compiler/dag.js';
import type { Dag } from '../compiler/types.js';
import { PipeError } from '../core/errors.js';

/** The runtime was handed a DAG it cannot order (a cycle, or a dependency on an unknown stage). */
export class DagCycleError extends PipeError {
  constructor(readonly stageIds: string[]) {
    super('PIPE_DAG_CYCLE', `the stage graph has a cycle through: ${stageIds.join(', ')}`);
  }
}

/** Stage ids, every stage after all of its dependencies: the compiler's order (compiler/dag.ts), the one plan shows. */
export function topologicalOrder(dag: Dag): string[] {
  try {
    return orderDeps(stageDeps(dag));
  } catch (err) {
    if (err instanceof DagError) throw new DagCycleError(err.ids);
    throw err;
  }
}

/** Stage id -> ids it depends on, for every stage. */
export function stageDeps(dag: Dag): Record<string, string[]> {
  return Object.fromEntries(Object.keys(dag.stages).map((id) => [id, depsOf(dag, id)]));
}

export function depsOf(dag: Dag, id: string): string[] {
  return dag.deps[id] ?? Object.values(dag.stages[id]?.inputs ?? {});
}

/** Stage id -> ids that depend on it directly. */
export function dependentsMap(dag: Dag): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const id of Object.keys(dag.stages)) out[id] = [];
  for (const id of Object.keys(dag.stages)) for (const d of depsOf(dag, id)) (out[d] ??= []).push(id);
  return out;
}

/** Every stage `id` needs, transitively (without `id`). */
export function ancestors(dag: Dag, id: string): Set<string> {
  return new Set(dependencies(stageDeps(dag), id));
}

/** Every stage that depends on `id`, transitively. */
export function descendants(dag: Dag, id: string, dependents = dependentsMap(dag)): Set<string> {
  const seen = new Set<string>();
  const stack = [...(dependents[id] ?? [])];
  while (stack.length) {
    const d = stack.pop()!;
    if (seen.has(d)) continue;
    seen.add(d);
    stack.push(...(dependents[d] ?? []));
  }
  return seen;
}

export function globMatcher(glob: string | undefined): (id: string) => boolean {
  if (!glob) return () => false;
  const patterns = glob
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const m = picomatch(patterns, { dot: true });
  return (id) => m(id);
}

/**
 * `--only GLOB`: the matching stages plus everything they need. Undefined glob selects all.
 * Returns the selected ids; an empty selection is the caller's error to report.
 */
export function selectStages(dag: Dag, only: string | undefined): Set<string> {
  const ids = Object.keys(dag.stages);
  if (!only) return new Set(ids);
  const match = globMatcher(only);
  const out = new Set<string>();
  for (const id of ids) {
    if (!match(id)) continue;
    out.add(id);
    for (const a of ancestors(dag, id)) out.add(a);
  }
  return out;
}
