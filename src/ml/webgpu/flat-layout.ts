// Where each parameter lives in the fused optimiser's flat buffers: parameters in order, packed end to end into
// segments of at most `capacity` elements (one storage binding each, so one dispatch per segment). A parameter never
// straddles two segments.

export interface Slot {
  name: string;
  shape: number[];
  size: number;
  segment: number;
  /** Element offset within the segment. */
  offset: number;
}

export interface FlatLayout {
  slots: Slot[];
  /** Elements per segment. */
  segments: number[];
}

/** The layout, or undefined when a parameter alone is larger than a segment may be. */
export function planFlatLayout(params: { name: string; shape: number[] }[], capacity: number): FlatLayout | undefined {
  const slots: Slot[] = [];
  const segments: number[] = [];
  for (const { name, shape } of params) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size > capacity) return undefined;
    if (!segments.length || segments.at(-1)! + size > capacity) segments.push(0);
    const segment = segments.length - 1;
    slots.push({ name, shape, size, segment, offset: segments[segment]! });
    segments[segment]! += size;
  }
  return { slots, segments };
}

/** Elements one storage binding of this device may hold (its binding and buffer size limits, in float32s). */
export function segmentCapacity(limits: { maxStorageBufferBindingSize: number; maxBufferSize: number }): number {
  return Math.floor(Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) / 4);
}
