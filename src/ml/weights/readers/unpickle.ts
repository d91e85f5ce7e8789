// A minimal, allow-listed unpickler for PyTorch state dicts. Python's pickle can call any importable function
// while loading (os.system, eval, ...); this one never calls anything: a global is resolved only if it is on the
// allow-list below, and then to a JavaScript stand-in. Any other global stops the load with an error naming it.

export class UnsafePickleError extends Error {
  constructor(
    readonly global: string,
    where: string,
  ) {
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
  constructor(
    readonly cls: PyGlobal,
    readonly args: unknown[],
  ) {}
}

const MARK = Symbol('mark');

export function unpickle(bytes: Uint8Array, start: number, opts: UnpickleOptions): UnpickleResult {
  return new Unpickler(new PickleInput(bytes, start, opts.where), opts).run();
}

/** The byte stream: little-endian numbers, counted byte runs and protocol-0 text lines. */
class PickleInput {
  pos: number;
  private readonly view: DataView;
  private readonly latin1 = new TextDecoder('latin1');
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly where: string,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new PickleFormatError(`${this.where}: pickle data ends unexpectedly`);
  }
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    this.pos += 2;
    return this.view.getUint16(this.pos - 2, true);
  }
  u32(): number {
    this.need(4);
    this.pos += 4;
    return this.view.getUint32(this.pos - 4, true);
  }
  i32(): number {
    this.need(4);
    this.pos += 4;
    return this.view.getInt32(this.pos - 4, true);
  }
  u64(): number {
    this.need(8);
    this.pos += 8;
    return Number(this.view.getBigUint64(this.pos - 8, true));
  }
  /** BINFLOAT is the one big-endian number in pickle. */
  f64be(): number {
    this.need(8);
    this.pos += 8;
    return this.view.getFloat64(this.pos - 8, false);
  }
  take(n: number): Uint8Array {
    this.need(n);
    this.pos += n;
    return this.bytes.subarray(this.pos - n, this.pos);
  }
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw new PickleFormatError(`${this.where}: pickle data ends unexpectedly`);
    const s = this.latin1.decode(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }
}

function longFromBytes(b: Uint8Array): number {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b.length > 0 && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return Number(v);
}

/**
 * The pickle machine: a stack, a memo and the opcodes a state dict uses, in groups (framing and memo, scalars,
 * containers, globals and objects). Each group answers whether it knew the opcode.
 */
class Unpickler {
  private readonly stack: unknown[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly text = new TextDecoder('utf-8');
  private readonly latin1 = new TextDecoder('latin1');
  constructor(
    private readonly input: PickleInput,
    private readonly opts: UnpickleOptions,
  ) {}

  run(): UnpickleResult {
    for (;;) {
      const op = this.input.u8();
      if (op === 0x2e) return { value: this.pop(), end: this.input.pos }; // STOP
      if (this.frameOrMemo(op) || this.scalar(op) || this.container(op) || this.object(op)) continue;
      // INST/OBJ/EXT*/NEWOBJ_EX/buffers and anything unknown: not part of a state dict.
      throw this.error(`unsupported pickle opcode 0x${op.toString(16)} at byte ${this.input.pos - 1}`);
    }
  }

  private error(what: string): PickleFormatError {
    return new PickleFormatError(`${this.opts.where}: ${what}`);
  }
  private pop(): unknown {
    if (this.stack.length === 0) throw this.error('pickle stack underflow');
    return this.stack.pop();
  }
  private top(): unknown {
    return this.stack[this.stack.length - 1];
  }
  private popMark(): unknown[] {
    const { stack } = this;
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] === MARK) {
        const items = stack.slice(i + 1);
        stack.length = i;
        return items;
      }
    }
    throw this.error('pickle MARK missing');
  }

  private frameOrMemo(op: number): boolean {
    const { input, memo } = this;
    switch (op) {
      case 0x80:
        input.u8();
        return true; // PROTO
      case 0x95:
        input.u64();
        return true; // FRAME
      case 0x28:
        this.stack.push(MARK);
        return true;
      case 0x71:
        memo.set(input.u8(), this.top());
        return true; // BINPUT
      case 0x72:
        memo.set(input.u32(), this.top());
        return true; // LONG_BINPUT
      case 0x70:
        memo.set(Number(input.line()), this.top());
        return true; // PUT
      case 0x94:
        memo.set(memo.size, this.top());
        return true; // MEMOIZE
      case 0x68:
      case 0x6a:
      case 0x67: {
        // BINGET, LONG_BINGET, GET
        const k = op === 0x68 ? input.u8() : op === 0x6a ? input.u32() : Number(input.line());
        if (!memo.has(k)) throw this.error(`pickle memo key ${k} missing`);
        this.stack.push(memo.get(k));
        return true;
      }
      case 0x30:
        this.pop();
        return true; // POP
      case 0x31:
        this.popMark();
        return true; // POP_MARK
      case 0x32:
        this.stack.push(this.top());
        return true; // DUP
      default:
        return false;
    }
  }

  private scalar(op: number): boolean {
    const { input, text, latin1 } = this;
    const push = (v: unknown) => (this.stack.push(v), true);
    switch (op) {
      case 0x4a:
        return push(input.i32()); // BININT
      case 0x4b:
        return push(input.u8()); // BININT1
      case 0x4d:
        return push(input.u16()); // BININT2
      case 0x8a:
        return push(longFromBytes(input.take(input.u8()))); // LONG1
      case 0x8b:
        return push(longFromBytes(input.take(input.u32()))); // LONG4
      case 0x49: {
        // INT (protocol 0; also encodes True/False)
        const s = input.line();
        return push(s === '01' ? true : s === '00' ? false : Number(s));
      }
      case 0x4c:
        return push(Number(input.line().replace(/L$/, ''))); // LONG
      case 0x47:
        return push(input.f64be()); // BINFLOAT
      case 0x46:
        return push(Number(input.line())); // FLOAT
      case 0x58:
        return push(text.decode(input.take(input.u32()))); // BINUNICODE
      case 0x8c:
        return push(text.decode(input.take(input.u8()))); // SHORT_BINUNICODE
      case 0x8d:
        return push(text.decode(input.take(input.u64()))); // BINUNICODE8
      case 0x55:
        return push(latin1.decode(input.take(input.u8()))); // SHORT_BINSTRING (Python 2 str)
      case 0x54:
        return push(latin1.decode(input.take(input.u32()))); // BINSTRING
      case 0x42:
        return push(input.take(input.u32()).slice()); // BINBYTES
      case 0x43:
        return push(input.take(input.u8()).slice()); // SHORT_BINBYTES
      case 0x8e:
        return push(input.take(input.u64()).slice()); // BINBYTES8
      case 0x4e:
        return push(null); // NONE
      case 0x88:
        return push(true);
      case 0x89:
        return push(false);
      default:
        return false;
    }
  }

  // eslint-disable-next-line max-lines-per-function -- an opcode table, one case per line before formatting
  private container(op: number): boolean {
    const { stack } = this;
    switch (op) {
      case 0x7d:
        stack.push(new Map());
        return true; // EMPTY_DICT
      case 0x5d:
      case 0x29:
      case 0x8f:
        stack.push([]);
        return true; // EMPTY_LIST, EMPTY_TUPLE, EMPTY_SET
      case 0x74:
      case 0x6c:
        stack.push(this.popMark());
        return true; // TUPLE, LIST
      case 0x85:
        stack.push([this.pop()]);
        return true; // TUPLE1
      case 0x86: {
        const b = this.pop();
        const a = this.pop();
        stack.push([a, b]);
        return true;
      } // TUPLE2
      case 0x87: {
        const c = this.pop();
        const b = this.pop();
        const a = this.pop();
        stack.push([a, b, c]);
        return true;
      } // TUPLE3
      case 0x64: {
        // DICT
        const items = this.popMark();
        const d = new Map();
        for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
        stack.push(d);
        return true;
      }
      case 0x61: {
        const v = this.pop();
        (this.top() as unknown[]).push(v);
        return true;
      } // APPEND
      case 0x65:
      case 0x90: {
        const items = this.popMark();
        (this.top() as unknown[]).push(...items);
        return true;
      } // APPENDS, ADDITEMS
      case 0x73: {
        const v = this.pop();
        const k = this.pop();
        this.setItem(this.top(), k, v);
        return true;
      } // SETITEM
      case 0x75: {
        // SETITEMS
        const items = this.popMark();
        for (let i = 0; i < items.length; i += 2) this.setItem(this.top(), items[i], items[i + 1]);
        return true;
      }
      default:
        return false;
    }
  }

  private setItem(target: unknown, k: unknown, v: unknown): void {
    if (!(target instanceof Map)) throw this.error('SETITEM on a non-dict');
    target.set(k, v);
  }

  private object(op: number): boolean {
    const { input, stack } = this;
    switch (op) {
      case 0x63: {
        const module = input.line();
        const name = input.line();
        stack.push(this.resolve(module, name));
        return true;
      } // GLOBAL
      case 0x93: {
        const name = this.pop();
        const module = this.pop();
        stack.push(this.resolve(String(module), String(name)));
        return true;
      } // STACK_GLOBAL
      case 0x52:
      case 0x81: {
        const args = this.pop() as unknown[];
        const fn = this.pop();
        stack.push(this.call(fn, args));
        return true;
      } // REDUCE, NEWOBJ
      case 0x62: {
        // BUILD: keep the state, never run __setstate__
        const state = this.pop();
        const obj = this.top();
        if (obj instanceof PyObject) obj.state = state;
        else if (obj instanceof Map && state instanceof Map)
          (obj as Map<unknown, unknown> & { state?: unknown }).state = state;
        return true;
      }
      case 0x51:
      case 0x50: {
        // BINPERSID, PERSID
        const pid = op === 0x51 ? this.pop() : input.line();
        if (!this.opts.persistentLoad) throw this.error('unexpected persistent id');
        stack.push(this.opts.persistentLoad(pid));
        return true;
      }
      case 0x69: {
        const module = input.line();
        const name = input.line();
        this.resolve(module, name);
        throw this.error('INST is not supported');
      }
      default:
        return false;
    }
  }

  private resolve(module: string, name: string): PyGlobal {
    const g = this.opts.globals.get(`${module}.${name}`);
    if (!g) throw new UnsafePickleError(`${module}.${name}`, this.opts.where);
    return g;
  }

  private call(fn: unknown, args: unknown[]): unknown {
    const g = fn as PyGlobal;
    if (!g || typeof g !== 'object' || !('module' in g)) throw this.error('pickle calls a non-global');
    if (g.call) return g.call(args);
    return new PyObject(g, args);
  }
}
