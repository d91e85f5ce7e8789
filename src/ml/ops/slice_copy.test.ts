import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { slicePlan } from './slice_copy.js';
import { randomArr, WASM_THREADS } from './testing.js';

// [shape, begin, size]. Slices big enough to be split between threads are tested in heap_pool.test.ts.
const CASES: Array<[number[], number[], number[]]> = [
  [
    [128, 2048],
    [0, 512],
    [128, 512],
  ], // col2im's column block
  [
    [7, 9],
    [2, 3],
    [4, 5],
  ],
  [
    [5, 6, 7, 8],
    [1, 0, 2, 0],
    [3, 6, 4, 8],
  ],
  [
    [5, 6, 7, 8],
    [0, 0, 0, 3],
    [5, 6, 7, 2],
  ],
  [
    [3, 4],
    [1, 0],
    [2, 4],
  ], // contiguous
  [
    [2, 3, 4, 5, 6],
    [1, 1, 1, 1, 1],
    [1, 2, 3, 4, 5],
  ],
  [[10], [3], [4]],
  [
    [4, 0, 3],
    [0, 0, 0],
    [4, 0, 3],
  ],
  [
    [64, 40, 40],
    [0, 3, 2],
    [64, 34, 34],
  ],
  [
    [300, 600],
    [10, 0],
    [280, -1],
  ],
];

describe('slicePlan', () => {
  it('copies runs of the innermost axes the slice takes whole', () => {
    const { plan, offset } = slicePlan([5, 6, 7, 8], [1, 0, 2, 0], [3, 6, 4, 8]);
    expect(plan.run).toBe(32); // 4 rows of 8
    expect(plan.sizes).toEqual([3, 6]);
    expect(offset).toBe(1 * 336 + 2 * 8);
  });
});

for (const threads of WASM_THREADS) {
  describe(`wasm Slice kernel on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await initBackend('cpu');
      expect((await initBackend('wasm', { threads })).threads).toBe(threads);
    });

    it('is pipe’s kernel and equals the cpu backend’s slice for float32, int32 and bool', async () => {
      expect(tf.getKernel('Slice', 'wasm')?.kernelFunc.name).toBe('sliceKernel');
      for (const [shape, begin, size] of CASES) {
        const x = randomArr(shape, 5).data;
        const inputs: Array<[ArrayLike<number>, tf.DataType]> = [
          [x, 'float32'],
          [Int32Array.from(x, (v) => Math.round(v * 1e6)), 'int32'],
          [Uint8Array.from(x, (v) => (v > 0 ? 1 : 0)), 'bool'],
        ];
        for (const [values, dtype] of inputs) {
          const run = async (backend: string) => {
            await tf.setBackend(backend);
            return tf.tidy(() => tf.slice(tf.tensor(values as Float32Array, shape, dtype), begin, size).dataSync());
          };
          const want = await run('cpu');
          expect(await run('wasm'), `${dtype} [${shape}] from [${begin}] size [${size}]`).toEqual(want);
        }
      }
    });
  });
}
