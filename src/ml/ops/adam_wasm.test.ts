import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { adamModuleBytes, adamWasmFor } from './adam_wasm.js';
import { adamRange, type AdamScalars } from './heap_loops.js';
import { randomArr } from './testing.js';

const S: AdamScalars = {
  b1: 0.5,
  b2: 0.999,
  eps: 1e-8,
  stepSize: 0.0002 / (1 - 0.5 ** 3),
  rootC2: Math.sqrt(1 - 0.999 ** 3),
};

/** p, m, v, g, new p in `memory`, 13 floats apart so the vector loop sees unaligned starts. */
function arrays(memory: WebAssembly.Memory, n: number): Float32Array[] {
  const out = [0, 1, 2, 3, 4].map((i) => new Float32Array(memory.buffer, 4 * (13 + i * (n + 13)), n));
  out.forEach((a, i) => a.set(randomArr([n], 20 + i).data.map((x) => (i === 2 ? x * x : x))));
  // Values that exercise rounding and the edges of the formula: zeros, tiny and huge magnitudes.
  out[3]!.set([0, -0, 1e-30, -1e30, 3.4e38], 5);
  out[2]!.set([0, 1e-38, 1e30], 9);
  return out;
}

describe('adam_wasm', () => {
  it('is a valid WebAssembly module for shared and unshared memories', () => {
    expect(WebAssembly.validate(adamModuleBytes(false))).toBe(true);
    expect(WebAssembly.validate(adamModuleBytes(true))).toBe(true);
  });

  for (const shared of [false, true]) {
    it(`gives adamRange's bits on ${shared ? 'a shared' : 'an unshared'} memory, for any range and tail`, () => {
      const memory = shared
        ? new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true })
        : new WebAssembly.Memory({ initial: 16 });
      const wasm = adamWasmFor(memory)!;
      expect(wasm).not.toBeNull();
      const n = 1031;
      for (const [lo, hi] of [
        [0, n],
        [3, 514],
        [7, 8],
        [100, 100],
      ] as const) {
        const mine = arrays(memory, n);
        const ref = mine.map((a) => a.slice());
        adamRange(ref[0]!, ref[1]!, ref[2]!, ref[3]!, ref[4]!, lo, hi, S);
        const [p, m, v, g, nOut] = mine.map((a) => a.byteOffset);
        wasm.adam(p!, m!, v!, g!, nOut!, lo, hi, S.b1, S.b2, S.stepSize, S.rootC2, S.eps);
        for (const i of [1, 2, 4]) expect(mine[i], `array ${i}, range [${lo}, ${hi})`).toEqual(ref[i]);
      }
    });
  }

  it('is what the stock wasm build runs adamUpdate with', async () => {
    await initBackend('wasm', { threads: 1 });
    const memory = (tf.backend() as unknown as { wasm: { asm: { memory: WebAssembly.Memory } } }).wasm.asm.memory;
    expect(adamWasmFor(memory)).not.toBeNull();
  });
});
