// vitest's toEqual walks a typed array element by element through its generic iterable equality, about 6 µs an
// element: 1.1 s for one 300x560 slice, most of the time of the kernel tests that compare whole outputs. Two typed
// arrays of one type with the same bytes hold the same elements under Object.is, which is all toEqual asks of them,
// so that case is answered by a byte compare. Anything else (other bytes: a real difference, -0 against 0, NaNs with
// other payloads) falls through to vitest's own comparison and its diff, so no verdict changes.
import { Buffer } from 'node:buffer';
import { expect } from 'vitest';

function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** true when `a` and `b` are typed arrays of one type with equal bytes; undefined (vitest decides) otherwise. */
export function sameTypedArrayBytes(a: unknown, b: unknown): true | undefined {
  if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a instanceof DataView || b instanceof DataView) return;
  if (a.constructor !== b.constructor || a.byteLength !== b.byteLength) return;
  return bytesOf(a).equals(bytesOf(b)) ? true : undefined;
}

expect.addEqualityTesters([sameTypedArrayBytes]);
