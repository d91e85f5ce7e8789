// Raw little-endian bytes of a stored dtype -> float32. Weight files hold f32 almost always; the others are widened.
export type StoredDtype = 'f32' | 'f16' | 'bf16' | 'f64';

export function bytesPerElement(dtype: StoredDtype): number {
  return dtype === 'f64' ? 8 : dtype === 'f32' ? 4 : 2;
}

export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Copies `count` elements starting at byte `offset` of `bytes` into a fresh Float32Array. */
export function toFloat32(bytes: Uint8Array, offset: number, count: number, dtype: StoredDtype): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * bytesPerElement(dtype));
  if (dtype === 'f32') {
    // Copy first: the source may be unaligned for a Float32Array view.
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * 4));
  } else if (dtype === 'f64') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
  } else if (dtype === 'f16') {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else {
    const u = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u[i] = view.getUint16(i * 2, true) << 16;
  }
  return out;
}
