import { describe, expect, it } from 'vitest';
import { planFlatLayout, segmentCapacity } from './flat-layout.js';

describe('planFlatLayout', () => {
  const p = (name: string, ...shape: number[]) => ({ name, shape });

  it('packs parameters end to end, in order, one segment while they fit', () => {
    const l = planFlatLayout([p('a', 2, 3), p('s'), p('b', 5)], 100)!;
    expect(l.segments).toEqual([12]);
    expect(l.slots.map((s) => [s.name, s.segment, s.offset, s.size])).toEqual([
      ['a', 0, 0, 6],
      ['s', 0, 6, 1],
      ['b', 0, 7, 5],
    ]);
  });

  it('starts a new segment rather than split a parameter; none is over capacity', () => {
    const l = planFlatLayout([p('a', 6), p('b', 5), p('c', 4), p('d', 10)], 10)!;
    expect(l.segments).toEqual([6, 9, 10]);
    expect(l.slots.map((s) => [s.segment, s.offset])).toEqual([
      [0, 0],
      [1, 0],
      [1, 5],
      [2, 0],
    ]);
    expect(planFlatLayout([p('a', 11)], 10)).toBeUndefined();
  });

  it('capacity: the smaller of the binding and buffer limits, in float32s', () => {
    expect(segmentCapacity({ maxStorageBufferBindingSize: 134217728, maxBufferSize: 268435456 })).toBe(33554432);
    expect(segmentCapacity({ maxStorageBufferBindingSize: 2 ** 32 - 4, maxBufferSize: 2 ** 31 })).toBe(2 ** 29);
  });
});
