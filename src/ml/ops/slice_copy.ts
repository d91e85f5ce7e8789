// Slice as runs of copies, for the wasm backend. tfjs-backend-wasm's Slice is JavaScript that first reads its input
// with readSync, which copies the whole input out of the heap: slicing one 256-column block of a [256, 4096] im2col
// matrix copied all 1 M elements, 2.5 ms per call and 3 % of a pix2pix 256² step. This reads the heap in place.
import type { CopyPlan } from './heap_loops.js';

function stridesOf(shape: number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/**
 * The copies of a slice of `shape` (begin and size already resolved, no -1): runs of the innermost axes the slice
 * takes whole (plus the first one it does not), and the element offset of the first one in the input.
 */
export function slicePlan(shape: number[], begin: number[], size: number[]): { plan: CopyPlan; offset: number } {
  const inStrides = stridesOf(shape);
  const outStrides = stridesOf(size);
  let k0 = size.length - 1;
  while (k0 > 0 && size[k0] === shape[k0]) k0--;
  const run = size.slice(k0).reduce((a, b) => a * b, 1);
  const sizes = size.slice(0, k0);
  const plan: CopyPlan = {
    kind: 'run',
    sizes,
    inStrides: inStrides.slice(0, k0),
    outStrides: outStrides.slice(0, k0),
    run,
    rows: 0,
    cols: 0,
    inStride: 0,
    outStride: 0,
    split: sizes[0] ?? run,
  };
  return { plan, offset: begin.reduce((o, b, k) => o + b * inStrides[k]!, 0) };
}
