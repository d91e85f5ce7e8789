// The pool order on a stand-in for tfjs-backend-webgpu's BufferManager (which the package does not export) with the
// same contract: free buffers per size and usage, the last released taken first. That a real training step then
// reuses all its bind groups is tested on the real adapters in backend-webgpu.test.ts.
import { describe, expect, it } from 'vitest';
import { handOutOldestFirst, slotFor } from './buffer-order.js';

function lifoPool() {
  const pool = {
    freeBuffers: new Map<string, object[]>(),
    made: 0,
    acquireBuffer(size: number, usage: number) {
      const free = pool.freeBuffers.get(`${size}_${usage}`) ?? [];
      pool.freeBuffers.set(`${size}_${usage}`, free);
      return free.pop() ?? { size, usage, n: pool.made++ };
    },
    releaseBuffer(buffer: object, reuse = true) {
      const b = buffer as { size: number; usage: number };
      if (reuse) pool.freeBuffers.get(`${b.size}_${b.usage}`)!.push(buffer);
    },
  };
  handOutOldestFirst(pool);
  return pool;
}

/** One "step": takes `n` buffers of one size and gives them back in the order `order` says. */
function step(pool: ReturnType<typeof lifoPool>, n: number, order: (xs: object[]) => object[]): object[] {
  const taken = Array.from({ length: n }, () => pool.acquireBuffer(256, 128));
  for (const b of order(taken)) pool.releaseBuffer(b);
  return taken;
}

describe('buffer pool order', () => {
  it('hands out the oldest free buffer, whatever order they came back in', () => {
    const pool = lifoPool();
    const [a, b, c] = [0, 1, 2].map(() => pool.acquireBuffer(64, 128));
    for (const x of [b, a, c]) pool.releaseBuffer(x!);
    expect([0, 1, 2].map(() => pool.acquireBuffer(64, 128))).toEqual([a, b, c]);
  });

  it('gives a repeated step the same buffers, where the plain pool drifts', () => {
    const reversed = (xs: object[]) => [...xs].reverse();
    const rotated = (xs: object[]) => [...xs.slice(2), ...xs.slice(0, 2)];
    const pool = lifoPool();
    const first = step(pool, 6, reversed);
    expect(step(pool, 6, rotated)).toEqual(first);
    expect(step(pool, 6, reversed)).toEqual(first);
    expect(pool.made).toBe(6);
  });

  it('keeps sizes apart and does not take back a buffer released for destruction', () => {
    const pool = lifoPool();
    const small = pool.acquireBuffer(64, 128);
    const big = pool.acquireBuffer(128, 128);
    const gone = pool.acquireBuffer(64, 128);
    pool.releaseBuffer(gone, false);
    pool.releaseBuffer(big);
    pool.releaseBuffer(small);
    expect(pool.freeBuffers.get('64_128')).toEqual([small]);
    expect(pool.acquireBuffer(128, 128)).toBe(big);
  });

  it('keeps each free list from newest to oldest, so the pool takes from its end', () => {
    const pool = lifoPool();
    const xs = [0, 1, 2, 3, 4].map(() => pool.acquireBuffer(32, 128));
    for (const i of [3, 0, 4, 2, 1]) pool.releaseBuffer(xs[i]!);
    expect(pool.freeBuffers.get('32_128')).toEqual([...xs].reverse());
    expect(slotFor([], 0)).toBe(0);
  });
});
