// tfjs's buffer pool hands out, for each size and usage, the free buffer released last. Which buffer that is depends
// on the order of earlier releases, and that order drifts from one training step to the next, so the same dispatch of
// the same step gets other buffers each time and its kept bind group (bind-groups.ts) is found again only by chance:
// 8 % of a 256² pix2pix step's bind groups were reused. Handing out the oldest free buffer instead makes the choice a
// function of which buffers are free, not of the order they came back in; a training step repeats the same
// acquisitions and releases, so it gets the same buffers step after step.

import * as tf from '@tensorflow/tfjs-core';

interface Pool {
  freeBuffers: Map<string, object[]>;
  acquireBuffer(size: number, usage: number, mappedAtCreation?: boolean, reuse?: boolean): object;
  releaseBuffer(buffer: object, reuse?: boolean): void;
}

/** Each buffer's serial number (its age: lower is older) and its pool key, noted when the pool first hands it out. */
const known = new WeakMap<object, { serial: number; key: string }>();
let nextSerial = 0;

/** Where `serial` goes in `free`, a list kept from newest to oldest (the pool takes its buffers from the end). */
export function slotFor(free: readonly object[], serial: number): number {
  let lo = 0;
  let hi = free.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((known.get(free[mid]!)?.serial ?? Infinity) > serial) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Makes `pool` (a tfjs-backend-webgpu BufferManager) hand out the oldest free buffer of the size and usage asked. */
export function handOutOldestFirst(pool: Pool): void {
  const acquire = pool.acquireBuffer.bind(pool);
  const release = pool.releaseBuffer.bind(pool);
  pool.acquireBuffer = (size, usage, mappedAtCreation, reuse) => {
    const buffer = acquire(size, usage, mappedAtCreation, reuse);
    if (!known.has(buffer)) known.set(buffer, { serial: nextSerial++, key: `${size}_${usage}` });
    return buffer;
  };
  // tfjs pushes a released buffer on the end of its free list; it is moved to its place by age.
  pool.releaseBuffer = (buffer, reuse = true) => {
    release(buffer, reuse);
    const facts = known.get(buffer);
    const free = facts && pool.freeBuffers.get(facts.key);
    if (!reuse || !free || free[free.length - 1] !== buffer) return;
    free.pop();
    free.splice(slotFor(free, facts.serial), 0, buffer);
  };
}

/** Installs handOutOldestFirst on the active webgpu backend's pool. */
export function orderBufferPool(): void {
  handOutOldestFirst((tf.backend() as unknown as { bufferManager: Pool }).bufferManager);
}
