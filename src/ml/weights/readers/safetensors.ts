// safetensors: u64 little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then raw bytes.
// The format is small enough that a hand parser is clearer than a dependency.
import fs from 'node:fs/promises';
import { badFile } from '../errors.js';
import { numel, type ReadOptions, type WeightMap } from '../types.js';
import { bytesPerElement, toFloat32, type StoredDtype } from './dtype.js';

const DTYPES: Record<string, StoredDtype> = { F32: 'f32', F16: 'f16', BF16: 'bf16', F64: 'f64' };

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function parseSafetensors(bytes: Uint8Array, file: string, opts: ReadOptions = {}): WeightMap {
  if (bytes.length < 8) throw badFile(file, 'too short for a safetensors file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > bytes.length) throw badFile(file, 'not a safetensors file (bad header length)');
  let header: Record<string, Entry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    throw badFile(file, 'not a safetensors file (header is not JSON)');
  }
  const base = 8 + headerLen;
  const out: WeightMap = new Map();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (opts.only && !opts.only(name)) continue;
    const entry = raw as Entry;
    if (entry.dtype === 'I64') {
      // Integer buffers (BatchNorm's num_batches_tracked) come along in state dicts; widen them to float.
      const [begin, end] = entry.data_offsets;
      if (end - begin !== numel(entry.shape) * 8 || base + end > bytes.length)
        throw badFile(file, `tensor ${name} has data offsets that do not match its shape`);
      const view = new DataView(bytes.buffer, bytes.byteOffset + base + begin, end - begin);
      out.set(name, {
        shape: [...entry.shape],
        data: Float32Array.from({ length: numel(entry.shape) }, (_, i) => Number(view.getBigInt64(i * 8, true))),
      });
      continue;
    }
    const dtype = DTYPES[entry.dtype];
    if (!dtype) throw badFile(file, `tensor ${name} has dtype ${entry.dtype}; only float tensors are supported`);
    const [begin, end] = entry.data_offsets;
    const count = numel(entry.shape);
    if (end - begin !== count * bytesPerElement(dtype) || base + end > bytes.length)
      throw badFile(file, `tensor ${name} has data offsets that do not match its shape (file truncated?)`);
    out.set(name, { shape: [...entry.shape], data: toFloat32(bytes, base + begin, count, dtype) });
  }
  return out;
}

export async function readSafetensors(file: string, opts: ReadOptions = {}): Promise<WeightMap> {
  return parseSafetensors(new Uint8Array(await fs.readFile(file)), file, opts);
}

/** Writes float32 tensors as safetensors (used by tests and by tools converting weights). */
export function encodeSafetensors(tensors: WeightMap, isInt64: (name: string) => boolean = () => false): Uint8Array {
  const header: Record<string, Entry> = {};
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    const long = isInt64(name);
    const bytes = long
      ? new Uint8Array(BigInt64Array.from(t.data, (v) => BigInt(Math.round(v))).buffer)
      : new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: long ? 'I64' : 'F32', shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    blobs.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad to 8 bytes as the reference writer does, so the data stays aligned.
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const b of blobs) {
    out.set(b, at);
    at += b.byteLength;
  }
  return out;
}
