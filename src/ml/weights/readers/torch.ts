// PyTorch `.pth` state dicts, both serialisations torch.save has used:
// - zip (torch >= 1.6): `<prefix>/data.pkl` + one `<prefix>/data/<key>` entry per storage;
// - legacy (the LPIPS heads): five pickles back to back (magic, protocol, sys info, the object, storage keys),
//   then each storage as an int64 element count followed by its raw little-endian bytes.
// Both go through the allow-listed unpickler: a file naming any other Python global is refused.
import fs from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { badFile, WeightsError } from '../errors.js';
import { halfToFloat } from './dtype.js';
import { numel, type ReadOptions, type WeightMap } from '../types.js';
import { PickleFormatError, PyObject, unpickle, UnsafePickleError, type PyGlobal } from './unpickle.js';

const STORAGE_BYTES: Record<string, number> = {
  FloatStorage: 4,
  DoubleStorage: 8,
  HalfStorage: 2,
  BFloat16Storage: 2,
  LongStorage: 8,
  IntStorage: 4,
  ShortStorage: 2,
  CharStorage: 1,
  ByteStorage: 1,
  BoolStorage: 1,
};

interface StorageRef {
  kind: 'storage';
  key: string;
  type: string;
  /** Element offset into the root storage (legacy storage views only). */
  viewOffset: number;
}

class LazyTensor {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

const rebuildTensor = (args: unknown[]) =>
  new LazyTensor(
    args[0] as StorageRef,
    Number(args[1]),
    (args[2] as number[]).map(Number),
    (args[3] as number[]).map(Number),
  );

function allowList(): Map<string, PyGlobal> {
  const g = new Map<string, PyGlobal>();
  const add = (module: string, name: string, call?: (args: unknown[]) => unknown) =>
    g.set(`${module}.${name}`, { module, name, call });
  // Python 2 era files pickle OrderedDict(items) with the items as a list of [key, value] pairs.
  add('collections', 'OrderedDict', (args) => new Map(Array.isArray(args[0]) ? (args[0] as [unknown, unknown][]) : []));
  add('torch._utils', '_rebuild_tensor_v2', rebuildTensor);
  add('torch._utils', '_rebuild_tensor', rebuildTensor);
  add('torch._utils', '_rebuild_parameter', (args) => args[0]);
  add('torch._utils', '_rebuild_parameter_with_state', (args) => args[0]);
  for (const t of Object.keys(STORAGE_BYTES)) add('torch', t);
  return g;
}

const ALLOWED = allowList();

function storageRef(pid: unknown, where: string): StorageRef {
  const t = pid as unknown[];
  if (!Array.isArray(t) || t[0] !== 'storage') throw badFile(where, 'unknown persistent id in pickle');
  const type = (t[1] as PyGlobal).name;
  if (!(type in STORAGE_BYTES)) throw badFile(where, `unsupported storage type ${type}`);
  const view = t[5] as unknown[] | null | undefined;
  // Legacy views: (view_key, offset, size) into the root storage t[2].
  return { kind: 'storage', key: String(t[2]), type, viewOffset: view ? Number(view[1]) : 0 };
}

function readElements(bytes: Uint8Array, byteOffset: number, count: number, type: string): Float32Array {
  const out = new Float32Array(count);
  const size = STORAGE_BYTES[type]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset + byteOffset, count * size);
  switch (type) {
    case 'FloatStorage':
      new Uint8Array(out.buffer).set(bytes.subarray(byteOffset, byteOffset + count * 4));
      break;
    case 'DoubleStorage':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'HalfStorage':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'BFloat16Storage': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case 'LongStorage':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'IntStorage':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'ShortStorage':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'CharStorage':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    default:
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
  }
  return out;
}

/** Storage bytes by key, with where that storage's first element sits. */
type StorageBytes = Map<string, { bytes: Uint8Array; offset: number; count: number }>;

function materialise(t: LazyTensor, storages: StorageBytes, where: string, name: string): Float32Array {
  const s = storages.get(t.storage.key);
  if (!s) throw badFile(where, `storage ${t.storage.key} of tensor ${name} is missing`);
  const n = numel(t.size);
  const base = t.storage.viewOffset + t.offset;
  let maxIndex = base;
  for (let d = 0; d < t.size.length; d++) if (t.size[d]! > 0) maxIndex += (t.size[d]! - 1) * t.stride[d]!;
  if (n > 0 && maxIndex >= s.count) throw badFile(where, `tensor ${name} reaches past the end of its storage`);
  const elem = STORAGE_BYTES[t.storage.type]!;
  let contiguous = true;
  for (let d = t.size.length - 1, expect = 1; d >= 0; d--) {
    if (t.size[d]! !== 1 && t.stride[d] !== expect) contiguous = false;
    expect *= t.size[d]!;
  }
  if (contiguous) return readElements(s.bytes, s.offset + base * elem, n, t.storage.type);
  // Rare in state dicts (e.g. a transposed view was saved): gather element by element.
  const all = readElements(s.bytes, s.offset, s.count, t.storage.type);
  const out = new Float32Array(n);
  const idx = new Array<number>(t.size.length).fill(0);
  for (let i = 0; i < n; i++) {
    let at = base;
    for (let d = 0; d < idx.length; d++) at += idx[d]! * t.stride[d]!;
    out[i] = all[at]!;
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < t.size[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Flattens the unpickled object into name -> LazyTensor (a state dict, possibly nested as {'state_dict': ...}). */
function collectTensors(obj: unknown, where: string): Map<string, LazyTensor> {
  const out = new Map<string, LazyTensor>();
  const walk = (o: unknown, prefix: string) => {
    if (o instanceof LazyTensor) out.set(prefix, o);
    else if (o instanceof Map) for (const [k, v] of o) walk(v, prefix ? `${prefix}.${String(k)}` : String(k));
  };
  if (obj instanceof PyObject || !(obj instanceof Map))
    throw badFile(where, 'it does not hold a state dict (save weights with torch.save(model.state_dict(), path))');
  // Checkpoints often wrap the weights: {'state_dict': {...}} or {'model': {...}}.
  const inner = obj.get('state_dict') ?? obj.get('model');
  walk(inner instanceof Map ? inner : obj, '');
  return out;
}

function wrapPickleErrors<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof UnsafePickleError) throw new WeightsError('PIPE_WEIGHTS_UNSAFE_PICKLE', err.message);
    if (err instanceof PickleFormatError) throw badFile(where, err.message.replace(`${where}: `, ''));
    throw err;
  }
}

export function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function readZip(bytes: Uint8Array, where: string, opts: ReadOptions): WeightMap {
  let pklName = '';
  const pkl = unzipSync(bytes, { filter: (f) => f.name.endsWith('data.pkl') && f.name.split('/').length === 2 });
  for (const name of Object.keys(pkl)) pklName = name;
  if (!pklName) throw badFile(where, 'a zip file without data.pkl is not a PyTorch checkpoint');
  const prefix = pklName.slice(0, -'data.pkl'.length);
  const { value } = wrapPickleErrors(where, () =>
    unpickle(pkl[pklName]!, 0, { globals: ALLOWED, where, persistentLoad: (pid) => storageRef(pid, where) }),
  );
  const tensors = collectTensors(value, where);
  const wanted = [...tensors].filter(([name]) => !opts.only || opts.only(name));
  const keys = new Set(wanted.map(([, t]) => `${prefix}data/${t.storage.key}`));
  const files = unzipSync(bytes, { filter: (f) => keys.has(f.name) });
  const storages: StorageBytes = new Map();
  for (const [, t] of wanted) {
    const b = files[`${prefix}data/${t.storage.key}`];
    if (b) storages.set(t.storage.key, { bytes: b, offset: 0, count: b.length / STORAGE_BYTES[t.storage.type]! });
  }
  return new Map(wanted.map(([name, t]) => [name, { shape: t.size, data: materialise(t, storages, where, name) }]));
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

function readLegacy(bytes: Uint8Array, where: string, opts: ReadOptions): WeightMap {
  return wrapPickleErrors(where, () => {
    const plain = { globals: ALLOWED, where };
    const magic = unpickle(bytes, 0, plain);
    // LONG1 values above 2^53 lose precision as numbers; compare the raw bytes (PROTO 2, LONG1, length 10).
    let m = 0n;
    if (bytes[2] === 0x8a && bytes[3] === 10) for (let i = 13; i >= 4; i--) m = (m << 8n) | BigInt(bytes[i]!);
    if (m !== LEGACY_MAGIC) throw badFile(where, 'neither a zip nor a legacy PyTorch file (bad magic number)');
    const proto = unpickle(bytes, magic.end, plain);
    const sysInfo = unpickle(bytes, proto.end, plain);
    const main = unpickle(bytes, sysInfo.end, { ...plain, persistentLoad: (pid) => storageRef(pid, where) });
    const keys = unpickle(bytes, main.end, plain);
    const types = new Map<string, string>();
    const tensors = collectTensors(main.value, where);
    for (const t of tensors.values()) types.set(t.storage.key, t.storage.type);
    const storages: StorageBytes = new Map();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = keys.end;
    for (const key of keys.value as string[]) {
      if (pos + 8 > bytes.length) throw badFile(where, 'file ends before all tensor data');
      const count = Number(view.getBigInt64(pos, true));
      pos += 8;
      const type = types.get(String(key));
      // A storage no tensor points at still occupies bytes; its element size is unknown, so stop is the only safe choice.
      if (!type) throw badFile(where, `storage ${key} is not used by any tensor`);
      const len = count * STORAGE_BYTES[type]!;
      if (pos + len > bytes.length) throw badFile(where, 'file ends before all tensor data');
      storages.set(String(key), { bytes, offset: pos, count });
      pos += len;
    }
    const out: WeightMap = new Map();
    for (const [name, t] of tensors)
      if (!opts.only || opts.only(name)) out.set(name, { shape: t.size, data: materialise(t, storages, where, name) });
    return out;
  });
}

export function parseTorch(bytes: Uint8Array, where: string, opts: ReadOptions = {}): WeightMap {
  try {
    if (isZip(bytes)) return readZip(bytes, where, opts);
    if (bytes[0] === 0x80) return readLegacy(bytes, where, opts);
  } catch (err) {
    if (err instanceof WeightsError) throw err;
    // A damaged file trips over anything (fflate, a pickle of the wrong shape): still the user's file to replace.
    throw badFile(where, `the file is damaged or truncated (${(err as Error).message})`);
  }
  throw badFile(where, 'neither a zip nor a legacy PyTorch file');
}

export async function readTorch(file: string, opts: ReadOptions = {}): Promise<WeightMap> {
  return parseTorch(new Uint8Array(await fs.readFile(file)), file, opts);
}
