// Writes a float32 state dict as a PyTorch zip checkpoint that torch.load reads (protocol-2 pickle of an OrderedDict
// of _rebuild_tensor_v2 calls + one stored entry per tensor). Used to make test checkpoints of the official layout
// without committing large files.
import { zipSync } from 'fflate';
import type { WeightMap } from '../types.js';

class PickleWriter {
  private parts: number[] = [];
  op(...bytes: number[]) {
    this.parts.push(...bytes);
  }
  u32(n: number) {
    this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.op(0x58); // BINUNICODE
    this.u32(b.length);
    this.op(...b);
  }
  int(n: number) {
    if (n >= 0 && n < 256)
      this.op(0x4b, n); // BININT1
    else {
      this.op(0x4a); // BININT
      this.u32(n);
    }
  }
  global(module: string, name: string) {
    this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  tuple(items: number[]) {
    this.op(0x28); // MARK
    for (const i of items) this.int(i);
    this.op(0x74); // TUPLE
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** Tensors stored as int64 (LongStorage), e.g. BatchNorm's num_batches_tracked; the rest are float32. */
export type IsInt64 = (name: string) => boolean;

function int64Bytes(data: Float32Array): Uint8Array {
  const out = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = BigInt(Math.round(data[i]!));
  return new Uint8Array(out.buffer);
}

export function encodeTorchZip(
  tensors: WeightMap,
  archiveName = 'archive',
  isInt64: IsInt64 = () => false,
): Uint8Array {
  const p = new PickleWriter();
  p.op(0x80, 2); // PROTO 2
  p.global('collections', 'OrderedDict');
  p.op(0x29, 0x52); // EMPTY_TUPLE, REDUCE
  p.op(0x28); // MARK for SETITEMS
  const files: Record<string, Uint8Array> = {};
  let key = 0;
  for (const [name, t] of tensors) {
    p.str(name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.op(0x28); // MARK (args)
    p.op(0x28); // MARK (persistent id)
    p.str('storage');
    const long = isInt64(name);
    p.global('torch', long ? 'LongStorage' : 'FloatStorage');
    p.str(String(key));
    p.str('cpu');
    p.int(t.data.length);
    p.op(0x74, 0x51); // TUPLE, BINPERSID
    p.int(0);
    p.tuple(t.shape);
    const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    p.tuple(stride);
    p.op(0x89); // NEWFALSE (requires_grad)
    p.global('collections', 'OrderedDict');
    p.op(0x29, 0x52); // backward hooks: OrderedDict()
    p.op(0x74, 0x52); // TUPLE, REDUCE
    files[`${archiveName}/data/${key}`] = long
      ? int64Bytes(t.data)
      : new Uint8Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
    key++;
  }
  p.op(0x75, 0x2e); // SETITEMS, STOP
  return zipSync(
    { [`${archiveName}/data.pkl`]: p.bytes(), [`${archiveName}/version`]: new TextEncoder().encode('3\n'), ...files },
    { level: 0 },
  );
}
