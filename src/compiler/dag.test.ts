import { describe, expect, it } from 'vitest';
import { DagError, dependencies, dependents, findCycle, topologicalOrder, topologicalWaves } from './dag.js';

const diamond = { report: ['ta', 'tb'], ta: ['ds'], tb: ['ds'], ds: [] };

describe('dag helpers', () => {
  it('orders stages after their dependencies, in waves', () => {
    expect(topologicalWaves(diamond)).toEqual([['ds'], ['ta', 'tb'], ['report']]);
    const order = topologicalOrder(diamond);
    expect(order.indexOf('ds')).toBeLessThan(order.indexOf('ta'));
    expect(order[order.length - 1]).toBe('report');
  });

  it('finds a cycle and names its stages', () => {
    expect(findCycle(diamond)).toBeNull();
    const cyclic = { a: ['b'], b: ['c'], c: ['a'], d: [] };
    expect(findCycle(cyclic)).toEqual(['a', 'b', 'c', 'a']);
    expect(() => topologicalOrder(cyclic)).toThrow(DagError);
    expect(() => topologicalOrder(cyclic)).toThrow('dependency cycle: a -> b -> c -> a');
    expect(findCycle({ a: ['a'] })).toEqual(['a', 'a']);
  });

  it('rejects a dependency on an unknown stage', () => {
    expect(() => topologicalOrder({ a: ['zz'] })).toThrow('unknown dependency: a -> zz');
  });

  it('lists dependents and dependencies transitively', () => {
    expect(dependents(diamond, 'ds')).toEqual(['report', 'ta', 'tb']);
    expect(dependents(diamond, 'ta')).toEqual(['report']);
    expect(dependents(diamond, 'report')).toEqual([]);
    expect(dependencies(diamond, 'report')).toEqual(['ta', 'tb', 'ds']);
  });
});
