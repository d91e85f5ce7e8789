// The Adam update as a small WebAssembly function on the wasm backend's own heap, two elements per instruction with
// f64x2 SIMD. JavaScript cannot vectorise adamRange: its two divisions and square root per element in double
// precision take ~6 ns, and pix2pix at 256²/ngf 64 updates 57 M parameters per step. The function does the same
// double-precision operations in the same order as adamRange (heap_loops.ts), so it gives the same bits: IEEE-754
// add, mul, div and sqrt are correctly rounded in both, float32 -> double is exact, double -> float32 rounds to
// nearest even in both, and WebAssembly never fuses a multiply-add.
//
// The module (~400 bytes) is assembled here from its instructions rather than kept as a binary file. It imports the
// backend's memory, so the update reads and writes the tensors where they are.

/** Unsigned LEB128, the integer encoding of the WebAssembly binary format. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const utf8 = (s: string): number[] => [...leb(s.length), ...Buffer.from(s, 'utf8')];

const I32 = 0x7f;
const F64 = 0x7c;
const V128 = 0x7b;

/** The instructions used, with their binary encodings (WebAssembly 2.0 core and fixed-width SIMD). */
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, depth],
  brIf: (depth: number) => [0x0d, depth],
  get: (i: number) => [0x20, ...leb(i)],
  set: (i: number) => [0x21, ...leb(i)],
  i32: (n: number) => [0x41, ...leb(n)],
  i32Add: [0x6a],
  i32Shl: [0x74],
  i32GtU: [0x4b],
  i32GeU: [0x4f],
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
  f64Promote: [0xbb],
  f32Demote: [0xb6],
  f64One: [0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
  v128Load: [0xfd, 0x00, 2, 0],
  v128Store: [0xfd, 0x0b, 2, 0],
  shuffle: (lanes: number[]) => [0xfd, 0x0d, ...lanes],
  f64x2Splat: [0xfd, 0x14],
  f32x4DemoteZero: [0xfd, 0x5e],
  f64x2PromoteLow: [0xfd, 0x5f],
};

/** Arithmetic of one lane width: scalar f64 or f64x2. */
interface Arith {
  add: number[];
  sub: number[];
  mul: number[];
  div: number[];
  sqrt: number[];
}
const SCALAR: Arith = { add: [0xa0], sub: [0xa1], mul: [0xa2], div: [0xa3], sqrt: [0x9f] };
const PAIR: Arith = {
  add: [0xfd, 0xf0, 0x01],
  sub: [0xfd, 0xf1, 0x01],
  mul: [0xfd, 0xf2, 0x01],
  div: [0xfd, 0xf3, 0x01],
  sqrt: [0xfd, 0xef, 0x01],
};

// Parameters: byte offsets of p, m, v, g and the new p; the element range [lo, hi); b1, b2, stepSize, rootC2, eps.
const [P, M, V, G, N, LO, HI, B1, B2, SS, RC, EPS] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const LOCAL_I32 = 2; // i: the element; k: its byte offset
const [I, K] = [12, 13];
const LOCAL_F64 = 9; // 1 - b1, 1 - b2, then one element's g, m, v, p and new m, v, p
const [A1, A2] = [14, 15];
const SCALAR_VARS = { g: 16, m: 17, v: 18, p: 19, mi: 20, vi: 21, ni: 22, b1: B1, b2: B2, a1: A1, a2: A2 };
const LOCAL_V128 = 21;
const [VB1, VB2, VA1, VA2, VSS, VRC, VEPS] = [23, 24, 25, 26, 27, 28, 29];
const LOADED = { [G]: 30, [M]: 31, [V]: 32, [P]: 33 } as Record<number, number>;
const KEY = { [G]: 'g', [M]: 'm', [V]: 'v', [P]: 'p' } as Record<number, 'g' | 'm' | 'v' | 'p'>;
const PAIR_VARS = { g: 34, m: 35, v: 36, p: 37, mi: 38, vi: 39, ni: 40, b1: VB1, b2: VB2, a1: VA1, a2: VA2 };
const LOW_RESULT = { mi: 41, vi: 42, ni: 43 } as Record<string, number>;

type Vars = typeof SCALAR_VARS;

/** adamRange's formula on locals (g, m, v, p) -> (mi, vi, ni), for scalars or pairs. */
function formula(a: Arith, x: Vars, ss: number, rc: number, eps: number): number[] {
  const get = op.get;
  return [
    // mi = b1 * m + a1 * g
    ...get(x.b1), ...get(x.m), ...a.mul, ...get(x.a1), ...get(x.g), ...a.mul, ...a.add, ...op.set(x.mi),
    // vi = b2 * v + (a2 * g) * g
    ...get(x.b2), ...get(x.v), ...a.mul, ...get(x.a2), ...get(x.g), ...a.mul, ...get(x.g), ...a.mul, ...a.add,
    ...op.set(x.vi),
    // ni = p - (stepSize * mi) / (sqrt(vi) / rootC2 + eps)
    ...get(x.p), ...get(ss), ...get(x.mi), ...a.mul,
    ...get(x.vi), ...a.sqrt, ...get(rc), ...a.div, ...get(eps), ...a.add, ...a.div, ...a.sub, ...op.set(x.ni),
  ]; // prettier-ignore
}

const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
const LOW_OF_BOTH = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const setK = [...op.get(I), ...op.i32(2), ...op.i32Shl, ...op.set(K)];
const address = (base: number) => [...op.get(base), ...op.get(K), ...op.i32Add];

/** Four elements per iteration: two pairs in f64x2, stored back as one v128 per array. */
function simdLoop(): number[] {
  const half = (high: boolean) =>
    [G, M, V, P].flatMap((base) => {
      const x = LOADED[base]!;
      const pick = high ? [...op.get(x), ...op.get(x), ...op.shuffle(HIGH_HALF)] : op.get(x);
      return [...pick, ...op.f64x2PromoteLow, ...op.set(PAIR_VARS[KEY[base]!])];
    });
  const store = (base: number, key: 'mi' | 'vi' | 'ni') => [
    ...address(base),
    ...op.get(LOW_RESULT[key]!),
    ...op.get(PAIR_VARS[key]),
    ...op.f32x4DemoteZero,
    ...op.shuffle(LOW_OF_BOTH),
    ...op.v128Store,
  ];
  const keepLow = (['mi', 'vi', 'ni'] as const).flatMap((key) => [
    ...op.get(PAIR_VARS[key]),
    ...op.f32x4DemoteZero,
    ...op.set(LOW_RESULT[key]!),
  ]);
  return [
    ...op.block,
    ...op.loop,
    ...[...op.get(I), ...op.i32(4), ...op.i32Add, ...op.get(HI), ...op.i32GtU, ...op.brIf(1)],
    ...setK,
    ...[G, M, V, P].flatMap((base) => [...address(base), ...op.v128Load, ...op.set(LOADED[base]!)]),
    ...half(false),
    ...formula(PAIR, PAIR_VARS, VSS, VRC, VEPS),
    ...keepLow,
    ...half(true),
    ...formula(PAIR, PAIR_VARS, VSS, VRC, VEPS),
    ...store(M, 'mi'),
    ...store(V, 'vi'),
    ...store(N, 'ni'),
    ...[...op.get(I), ...op.i32(4), ...op.i32Add, ...op.set(I)],
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

/** The elements the vector loop left (fewer than 4), one at a time. */
function scalarLoop(): number[] {
  const x = SCALAR_VARS;
  const load = (base: number, into: number) => [...address(base), ...op.f32Load, ...op.f64Promote, ...op.set(into)];
  const store = (base: number, from: number) => [...address(base), ...op.get(from), ...op.f32Demote, ...op.f32Store];
  return [
    ...op.block,
    ...op.loop,
    ...[...op.get(I), ...op.get(HI), ...op.i32GeU, ...op.brIf(1)],
    ...setK,
    ...load(G, x.g),
    ...load(M, x.m),
    ...load(V, x.v),
    ...load(P, x.p),
    ...formula(SCALAR, x, SS, RC, EPS),
    ...store(M, x.mi),
    ...store(V, x.vi),
    ...store(N, x.ni),
    ...[...op.get(I), ...op.i32(1), ...op.i32Add, ...op.set(I)],
    ...op.br(0),
    ...op.end,
    ...op.end,
  ];
}

function body(): number[] {
  const splat = (from: number, to: number) => [...op.get(from), ...op.f64x2Splat, ...op.set(to)];
  const code = [
    ...[...op.get(LO), ...op.set(I)],
    ...[...op.f64One, ...op.get(B1), ...SCALAR.sub, ...op.set(A1)],
    ...[...op.f64One, ...op.get(B2), ...SCALAR.sub, ...op.set(A2)],
    ...splat(B1, VB1),
    ...splat(B2, VB2),
    ...splat(A1, VA1),
    ...splat(A2, VA2),
    ...splat(SS, VSS),
    ...splat(RC, VRC),
    ...splat(EPS, VEPS),
    ...simdLoop(),
    ...scalarLoop(),
    ...op.end,
  ];
  const locals = vec([
    [...leb(LOCAL_I32), I32],
    [...leb(LOCAL_F64), F64],
    [...leb(LOCAL_V128), V128],
  ]);
  const fn = [...locals, ...code];
  return [...leb(fn.length), ...fn];
}

/** The module's bytes; `shared`: the memory it imports is the threaded build's shared memory. */
export function adamModuleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const params = [I32, I32, I32, I32, I32, I32, I32, F64, F64, F64, F64, F64];
  const type = [0x60, ...leb(params.length), ...params, 0];
  // Limits: shared memories must declare a maximum; 65536 pages is wasm32's 4 GB, the backend's own maximum.
  const limits = shared ? [0x03, 0, ...leb(65536)] : [0x00, 0];
  const memoryImport = [...utf8('env'), ...utf8('memory'), 0x02, ...limits];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([type])),
    ...section(2, vec([memoryImport])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...utf8('adam'), 0x00, 0]])),
    ...section(10, vec([body()])),
  ]);
}

/** adam(p, m, v, g, n byte offsets, lo, hi, b1, b2, stepSize, rootC2, eps) */
export type AdamWasmFn = (
  p: number,
  m: number,
  v: number,
  g: number,
  n: number,
  lo: number,
  hi: number,
  b1: number,
  b2: number,
  stepSize: number,
  rootC2: number,
  eps: number,
) => void;

export interface AdamWasm {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  adam: AdamWasmFn;
}

const bound = new WeakMap<WebAssembly.Memory, AdamWasm | null>();

/**
 * The update bound to `memory` (compiled once per kind of memory, instantiated once per memory), or null where the
 * engine refuses the module (no SIMD): callers then run adamRange, which gives the same bits, slower.
 */
export function adamWasmFor(memory: WebAssembly.Memory): AdamWasm | null {
  let a = bound.get(memory);
  if (a !== undefined) return a;
  try {
    const module = adamModule(memory.buffer instanceof SharedArrayBuffer);
    a = { module, memory, adam: adamOnMemory(module, memory) };
  } catch {
    a = null; // a WebAssembly engine without fixed-width SIMD: the JavaScript loop does the same arithmetic
  }
  bound.set(memory, a);
  return a;
}

const modules = new Map<boolean, WebAssembly.Module>();

/** The compiled module (cached), for a shared or an unshared memory. */
export function adamModule(shared: boolean): WebAssembly.Module {
  let m = modules.get(shared);
  if (!m) {
    m = new WebAssembly.Module(adamModuleBytes(shared));
    modules.set(shared, m);
  }
  return m;
}

/** The update function bound to `memory`. */
export function adamOnMemory(module: WebAssembly.Module, memory: WebAssembly.Memory): AdamWasmFn {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports.adam as AdamWasmFn;
}
