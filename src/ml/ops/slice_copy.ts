// Slice as runs of copies, for the wasm backend. tfjs-backend-wasm's Slice is JavaScript that first reads its input
// with readSync, which copies the whole input out of the heap: slicing one 256-column block of a [256, 4096] im2col
// matrix copied all 1 M elements, 2.5 ms per call and 3 % of a pix2pix 256² step. This reads the heap in place.
import { runsPlan, stridesOf, type CopyPlan } from './heap_loops.js';

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
  const plan = runsPlan(size.slice(0, k0), inStrides.slice(0, k0), outStrides.slice(0, k0), run);
  return { plan, offset: begin.reduce((o, b, k) => o + b * inStrides[k]!, 0) };
}
