// A minimal, allow-listed unpickler for PyTorch state dicts. Python's pickle can call any importable function
// while loading (os.system, eval, ...); this one never calls anything: a global is resolved only if it is on the
// allow-list below, and then to a JavaScript stand-in. Any other global stops the load with an error naming it.

export class UnsafePickleError extends Error {
  constructor(readonly global: string, where: string) {
    super(
      `${where} refers to the Python global "${global}", which is not on the allow-list of a plain PyTorch state dict ` +
        '(tensors, storages, OrderedDict). It was refused and not executed. Load only weight files you trust, saved ' +
        'as a state dict (torch.save(model.state_dict(), path)).',
    );
    this.name = 'UnsafePickleError';
  }
}

export class PickleFormatError extends Error {}

/** What a `GLOBAL` resolves to: a callable stand-in, or a type token (storage types). */
export interface PyGlobal {
  readonly module: string;
  readonly name: string;
  readonly call?: (args: unknown[]) => unknown;
}

export interface UnpickleOptions {
  /** The allow-list: `module.name` -> stand-in. */
  globals: ReadonlyMap<string, PyGlobal>;
  /** Resolves a persistent id (PyTorch uses it for tensor storages). */
  persistentLoad?: (pid: unknown) => unknown;
  /** Named in error messages. */
  where: string;
}

export interface UnpickleResult {
  value: unknown;
  /** Byte offset just after the STOP opcode (legacy torch files hold several pickles back to back). */
  end: number;
}

/** A pickled object whose class we do not model but whose state we keep (e.g. OrderedDict's `_metadata`). */
export class PyObject {
  state: unknown;
  constructor(readonly cls: PyGlobal, readonly args: unknown[]) {}
}

const MARK = Symbol('mark');

export function unpickle(bytes: Uint8Array, start: number, opts: UnpickleOptions): UnpickleResult {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder('utf-8');
  const latin1 = new TextDecoder('latin1');
  let pos = start;
  const stack: unknown[] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number) => {
    if (pos + n > bytes.length) throw new PickleFormatError(`${opts.where}: pickle data ends unexpectedly`);
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = () => {
    need(8);
    pos += 8;
    return Number(view.getBigUint64(pos - 8, true));
  };
  const take = (n: number) => {
    need(n);
    pos += n;
    return bytes.subarray(pos - n, pos);
  };
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw new PickleFormatError(`${opts.where}: pickle data ends unexpectedly`);
    const s = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const popMark = (): unknown[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] === MARK) {
        const items = stack.slice(i + 1);
        stack.length = i;
        return items;
      }
    }
    throw new PickleFormatError(`${opts.where}: pickle MARK missing`);
  };
  const pop = () => {
    if (stack.length === 0) throw new PickleFormatError(`${opts.where}: pickle stack underflow`);
    return stack.pop();
  };
  const top = () => stack[stack.length - 1];
  const resolve = (module: string, name: string): PyGlobal => {
    const g = opts.globals.get(`${module}.${name}`);
    if (!g) throw new UnsafePickleError(`${module}.${name}`, opts.where);
    return g;
  };
  const call = (fn: unknown, args: unknown[]): unknown => {
    const g = fn as PyGlobal;
    if (!g || typeof g !== 'object' || !('module' in g)) throw new PickleFormatError(`${opts.where}: pickle calls a non-global`);
    if (g.call) return g.call(args);
    return new PyObject(g, args);
  };
  const setItem = (target: unknown, k: unknown, v: unknown) => {
    if (!(target instanceof Map)) throw new PickleFormatError(`${opts.where}: SETITEM on a non-dict`);
    target.set(k, v);
  };
  const longFromBytes = (b: Uint8Array): number => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b.length > 0 && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
    return Number(v);
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME
      case 0x2e: return { value: pop(), end: pos }; // STOP
      case 0x28: stack.push(MARK); break;
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x8f: stack.push([]); break; // EMPTY_SET
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: case 0x67: { // BINGET, LONG_BINGET, GET
        const k = op === 0x68 ? u8() : op === 0x6a ? u32() : Number(line());
        if (!memo.has(k)) throw new PickleFormatError(`${opts.where}: pickle memo key ${k} missing`);
        stack.push(memo.get(k));
        break;
      }
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(longFromBytes(take(u8()))); break; // LONG1
      case 0x8b: stack.push(longFromBytes(take(u32()))); break; // LONG4
      case 0x49: { // INT (protocol 0; also encodes True/False)
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : Number(s));
        break;
      }
      case 0x4c: stack.push(Number(line().replace(/L$/, ''))); break; // LONG
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT
      case 0x46: stack.push(Number(line())); break; // FLOAT
      case 0x58: stack.push(text.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(text.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text.decode(take(u64()))); break; // BINUNICODE8
      case 0x55: stack.push(latin1.decode(take(u8()))); break; // SHORT_BINSTRING (Python 2 str)
      case 0x54: stack.push(latin1.decode(take(u32()))); break; // BINSTRING
      case 0x42: stack.push(take(u32()).slice()); break; // BINBYTES
      case 0x43: stack.push(take(u8()).slice()); break; // SHORT_BINBYTES
      case 0x8e: stack.push(take(u64()).slice()); break; // BINBYTES8
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x74: stack.push(popMark()); break; // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { // DICT
        const items = popMark();
        const d = new Map();
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x61: { const v = pop(); (top() as unknown[]).push(v); break; } // APPEND
      case 0x65: case 0x90: { const items = popMark(); (top() as unknown[]).push(...items); break; } // APPENDS, ADDITEMS
      case 0x73: { const v = pop(); const k = pop(); setItem(top(), k, v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        for (let i = 0; i < items.length; i += 2) setItem(top(), items[i], items[i + 1]);
        break;
      }
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { const module = line(); const name = line(); stack.push(resolve(module, name)); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        stack.push(resolve(String(module), String(name)));
        break;
      }
      case 0x52: { const args = pop() as unknown[]; const fn = pop(); stack.push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop() as unknown[]; const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x62: { // BUILD: keep the state, never run __setstate__
        const state = pop();
        const obj = top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj instanceof Map && state instanceof Map) (obj as Map<unknown, unknown> & { state?: unknown }).state = state;
        break;
      }
      case 0x51: { // BINPERSID
        const pid = pop();
        if (!opts.persistentLoad) throw new PickleFormatError(`${opts.where}: unexpected persistent id`);
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x50: { // PERSID
        const pid = line();
        if (!opts.persistentLoad) throw new PickleFormatError(`${opts.where}: unexpected persistent id`);
        stack.push(opts.persistentLoad(pid));
        break;
      }
      case 0x69: { const module = line(); const name = line(); resolve(module, name); throw new PickleFormatError(`${opts.where}: INST is not supported`); }
      default:
        // INST/OBJ/EXT*/NEWOBJ_EX/buffers and anything unknown: not part of a state dict.
        throw new PickleFormatError(`${opts.where}: unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}
