import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { canonicalPermutation, transposeInto } from './transpose_copy.js';
import { randomArr, WASM_THREADS } from './testing.js';

/** The definition, one output element at a time. */
function naive(x: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((a) => shape[a]!);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(x.length);
  const index = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let rest = o;
    for (let k = outShape.length - 1; k >= 0; k--) {
      index[perm[k]!] = rest % outShape[k]!;
      rest = Math.floor(rest / outShape[k]!);
    }
    out[o] = x[index.reduce((s, v, a) => s + v * inStrides[a]!, 0)]!;
  }
  return out;
}

const CASES: Array<[number[], number[]]> = [
  [
    [37, 70],
    [1, 0],
  ],
  [
    [1, 9, 11, 5],
    [3, 1, 2, 0],
  ], // filterGrad's channel swap
  [
    [5, 4, 4, 33],
    [1, 2, 0, 3],
  ], // filterGrad's result back to HWIO
  [
    [12, 7, 2, 6],
    [0, 2, 1, 3],
  ], // depthToSpace
  [
    [3, 4, 5, 6],
    [2, 0, 3, 1],
  ],
  [
    [2, 3, 4, 5, 6],
    [4, 3, 2, 1, 0],
  ],
  [
    [6, 1, 7, 3],
    [2, 1, 3, 0],
  ],
  [
    [4, 5, 6],
    [0, 1, 2],
  ],
  [
    [1, 1, 1],
    [2, 0, 1],
  ],
  [
    [65, 3, 40],
    [2, 1, 0],
  ],
  [
    [33, 66],
    [1, 0],
  ],
];

describe('canonicalPermutation', () => {
  it('drops size-1 axes and merges axes that stay adjacent', () => {
    expect(canonicalPermutation([1, 9, 11, 5], [3, 1, 2, 0])).toEqual({ shape: [99, 5], perm: [1, 0] });
    expect(canonicalPermutation([5, 4, 4, 33], [1, 2, 0, 3])).toEqual({ shape: [5, 16, 33], perm: [1, 0, 2] });
    expect(canonicalPermutation([4, 5, 6], [0, 1, 2])).toEqual({ shape: [120], perm: [0] });
    expect(canonicalPermutation([1, 1], [1, 0])).toEqual({ shape: [], perm: [] });
  });
});

describe('transposeInto', () => {
  for (const [shape, perm] of CASES) {
    it(`[${shape}] by [${perm}] equals the definition`, () => {
      const x = randomArr(shape, 7).data;
      const out = new Float32Array(x.length);
      transposeInto(x, out, shape, perm);
      expect(out).toEqual(naive(x, shape, perm));
    });
  }
});

for (const threads of WASM_THREADS) {
  describe(`wasm Transpose kernel on ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      expect((await initBackend('wasm', { threads })).threads).toBe(threads);
    });

    it('is pipe’s kernel and equals the definition for float32, int32 and bool', () => {
      expect(tf.getKernel('Transpose', 'wasm')?.kernelFunc.name).toBe('transposeKernel');
      for (const [shape, perm] of CASES) {
        const x = randomArr(shape, 11).data;
        const want = naive(x, shape, perm);
        expect(tf.tidy(() => tf.transpose(tf.tensor(x, shape), perm).dataSync())).toEqual(want);
        const ints = Int32Array.from(x, (v) => Math.round(v * 1000));
        const gotInts = tf.tidy(() => tf.transpose(tf.tensor(ints, shape, 'int32'), perm).dataSync());
        expect(Float32Array.from(gotInts)).toEqual(naive(Float32Array.from(ints), shape, perm));
        const bools = Uint8Array.from(x, (v) => (v > 0 ? 1 : 0));
        const gotBools = tf.tidy(() => tf.transpose(tf.tensor(bools, shape, 'bool'), perm).dataSync());
        expect(Float32Array.from(gotBools)).toEqual(naive(Float32Array.from(bools), shape, perm));
      }
    });
  });
}
