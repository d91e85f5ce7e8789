import { describe, expect, it } from 'vitest';
import type { Dag, Stage } from '../compiler/types.js';
import { DagCycleError, descendants, selectStages, topologicalOrder } from './graph.js';

function dag(edges: Record<string, string[]>): Dag {
  const stages: Record<string, Stage> = {};
  for (const [id, deps] of Object.entries(edges)) {
    stages[id] = {
      id,
      kind: 'train',
      configs: [],
      params: {},
      inputs: Object.fromEntries(deps.map((d, i) => [`in${i}`, d])),
    };
  }
  return { pipeline: 'g', configs: [], stages, deps: edges };
}

const pipeline = dag({
  report: ['evaluate/a', 'evaluate/b'],
  'evaluate/a': ['dataset', 'train/a'],
  'evaluate/b': ['dataset', 'train/b'],
  'train/a': ['dataset'],
  'train/b': ['dataset'],
  dataset: [],
});

describe('graph', () => {
  it('orders every stage after its dependencies', () => {
    const order = topologicalOrder(pipeline);
    for (const [id, deps] of Object.entries(pipeline.deps))
      for (const d of deps) expect(order.indexOf(d)).toBeLessThan(order.indexOf(id));
  });

  it('names the stages of a cycle', () => {
    expect(() => topologicalOrder(dag({ a: ['b'], b: ['a'], c: [] }))).toThrow(DagCycleError);
    expect(() => topologicalOrder(dag({ a: ['b'], b: ['a'], c: [] }))).toThrow(/a, b/);
  });

  it('--only selects the matching stages and what they need, nothing downstream', () => {
    expect([...selectStages(pipeline, 'evaluate/a')].sort()).toEqual(['dataset', 'evaluate/a', 'train/a']);
    expect([...selectStages(pipeline, 'train/*')].sort()).toEqual(['dataset', 'train/a', 'train/b']);
    expect([...selectStages(pipeline, 'train/a,train/b')].sort()).toEqual(['dataset', 'train/a', 'train/b']);
    expect(selectStages(pipeline, 'nothing*').size).toBe(0);
    expect(selectStages(pipeline, undefined).size).toBe(6);
  });

  it('finds everything downstream of a stage', () => {
    expect([...descendants(pipeline, 'train/a')].sort()).toEqual(['evaluate/a', 'report']);
  });
});
