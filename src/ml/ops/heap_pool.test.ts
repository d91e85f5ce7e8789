import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { adamUpdate } from './adam_update.js';
import { adamRange, type AdamScalars } from './heap_loops.js';
import { heapPool, HeapPool, splitRange } from './heap_pool.js';
import { transposeInto } from './transpose_copy.js';
import { randomArr } from './testing.js';

const S: AdamScalars = { b1: 0.5, b2: 0.999, eps: 1e-8, stepSize: 0.0002 / 0.5, rootC2: Math.sqrt(0.001) };

/** Five float32 arrays of n elements in one SharedArrayBuffer: p, m, v, g and the new p. */
function sharedAdamArrays(n: number): Float32Array[] {
  const buffer = new SharedArrayBuffer(5 * 4 * n);
  const arrays = [0, 1, 2, 3, 4].map((i) => new Float32Array(buffer, i * 4 * n, n));
  arrays.forEach((a, i) => a.set(randomArr([n], 10 + i).data.map((x) => (i === 2 ? Math.abs(x) : x))));
  return arrays;
}

describe('HeapPool', () => {
  const pool = new HeapPool(3);
  afterAll(() => pool.close());

  it('splits [0, n) into contiguous ranges', () => {
    expect(splitRange(10, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 10],
    ]);
  });

  it('runs an Adam update split over 3 threads to the same bits as one loop', () => {
    const n = 100_003;
    const shared = sharedAdamArrays(n);
    const local = shared.map((a) => a.slice());
    adamRange(local[0]!, local[1]!, local[2]!, local[3]!, local[4]!, 0, n, S);
    const offsets = shared.map((a) => a.byteOffset);
    const buffer = shared[0]!.buffer;
    pool.run(splitRange(n, 3).map(([lo, hi]) => ({ kind: 'adam', buffer, offsets, size: n, lo, hi, s: S })));
    shared.forEach((a, i) => expect(a, `array ${i}`).toEqual(local[i]));
  });

  it('reports a worker task that throws, and stays usable', () => {
    const bad = { kind: 'adam' as const, buffer: new SharedArrayBuffer(8), offsets: [0, 0, 0, 0, 64], size: 2 };
    const tasks = [{ kind: 'none' as const }, { ...bad, lo: 0, hi: 2, s: S }, { kind: 'none' as const }];
    expect(() => pool.run(tasks)).toThrow(/heap worker thread failed/);
    expect(() => pool.run([{ kind: 'none' }, { kind: 'none' }, { kind: 'none' }])).not.toThrow();
  });
});

describe('wasm on 2 threads: the heap pool', () => {
  beforeAll(async () => {
    await initBackend('cpu');
    expect((await initBackend('wasm', { threads: 2 })).threads).toBe(2);
  });

  it('is running, and splits big transposes exactly', () => {
    expect(heapPool()?.threads).toBe(2);
    const jobs = heapPool()!.jobs;
    for (const [shape, perm] of [
      [
        [600, 520],
        [1, 0],
      ],
      [
        [128, 16, 130],
        [1, 0, 2],
      ],
      [
        [1, 80, 81, 41],
        [3, 1, 2, 0],
      ],
    ]) {
      const x = randomArr(shape!, 3).data;
      const want = new Float32Array(x.length);
      transposeInto(x, want, shape!, perm!);
      expect(tf.tidy(() => tf.transpose(tf.tensor(x, shape), perm).dataSync())).toEqual(want);
    }
    expect(heapPool()!.jobs).toBe(jobs + 3);
  });

  it('splits big slices exactly', async () => {
    const x = randomArr([300, 2048], 4).data;
    const slice = () => tf.tidy(() => tf.slice(tf.tensor(x, [300, 2048]), [20, 512], [270, 1024]).dataSync());
    const jobs = heapPool()!.jobs;
    const got = slice();
    expect(heapPool()!.jobs).toBe(jobs + 1);
    await tf.setBackend('cpu');
    const want = slice();
    await tf.setBackend('wasm');
    expect(got).toEqual(want);
  });

  it('splits big Adam updates to the same bits as one loop, and leaves clones of a moment alone', () => {
    const n = 1 << 17;
    const [p0, m0, v0, g0] = sharedAdamArrays(n).map((a) => a.slice());
    const want = [p0, m0, v0, g0, new Float32Array(n)].map((a) => a!.slice());
    adamRange(want[0]!, want[1]!, want[2]!, want[3]!, want[4]!, 0, n, S);
    const [p, m, v] = [p0, m0, v0].map((a) => tf.variable(tf.tensor(a!)));
    const jobs = heapPool()!.jobs;
    const mClone = m!.clone(); // shares m's storage (pipe's wasm Identity): the update must not write through it
    adamUpdate(p!, m!, v!, tf.tensor(g0!), { lr: 0.0002, beta1: 0.5, beta2: 0.999, eps: 1e-8, step: 1 });
    expect(heapPool()!.jobs).toBe(jobs + 1);
    expect(p!.dataSync()).toEqual(want[4]);
    expect(m!.dataSync()).toEqual(want[1]);
    expect(v!.dataSync()).toEqual(want[2]);
    expect(mClone.dataSync()).toEqual(m0);
  });
});
