import { describe, expect, it } from 'vitest';
import { sameTypedArrayBytes } from './typed-array-equality.js';

describe('toEqual on typed arrays (the byte-compare shortcut)', () => {
  it('answers equal bytes of one type itself, and leaves everything else to vitest', () => {
    const a = Float32Array.from([1, -2.5, Number.NaN, 0]);
    expect(sameTypedArrayBytes(a, a.slice())).toBe(true);
    expect(sameTypedArrayBytes(a.subarray(1, 3), Float32Array.from([-2.5, Number.NaN]))).toBe(true);
    expect(sameTypedArrayBytes(a, Float32Array.from([1, -2.5, Number.NaN, 1e-45]))).toBeUndefined();
    expect(sameTypedArrayBytes(a, Float64Array.from(a))).toBeUndefined();
    expect(sameTypedArrayBytes(Int32Array.of(0), Uint32Array.of(0))).toBeUndefined();
    expect(sameTypedArrayBytes([1, 2], [1, 2])).toBeUndefined();
    expect(sameTypedArrayBytes(new DataView(new ArrayBuffer(4)), new DataView(new ArrayBuffer(4)))).toBeUndefined();
  });

  it('keeps every verdict of vitest: a differing element, -0 against 0 and another type fail; NaN payloads pass', () => {
    const big = new Float32Array(200_000).map((_, i) => Math.sin(i));
    expect(big).toEqual(big.slice());
    const other = big.slice();
    other[123_456] += 1e-3;
    expect(() => expect(other).toEqual(big)).toThrow(/deeply equal/);
    expect(() => expect(Float32Array.of(-0)).toEqual(Float32Array.of(0))).toThrow();
    expect(() => expect(Float64Array.of(1)).toEqual(Float32Array.of(1))).toThrow();
    expect(() => expect(Float32Array.of(1)).toEqual([1])).toThrow();
    // A NaN with another payload has other bytes, so vitest decides, and to it every NaN is the same (Object.is).
    const quiet = new Float32Array(new Uint32Array([0x7fc00000]).buffer);
    const payload = new Float32Array(new Uint32Array([0x7fc00001]).buffer);
    expect(payload).toEqual(quiet);
  });
});
