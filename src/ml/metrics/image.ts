// The image shape every metric takes: 8-bit RGB, row-major HWC, the layout decoders and the
// dataset stage produce. Metrics never see tensors, so they run without TensorFlow.js.

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, RGB, row-major. */
  data: Uint8Array;
}

/** Throws when two images cannot be compared; `what` names them in the message (file names). */
export function assertComparable(a: RgbImage, b: RgbImage, what = 'images'): void {
  for (const [label, img] of [
    ['first', a],
    ['second', b],
  ] as const) {
    if (img.data.length !== img.width * img.height * 3) {
      throw new Error(
        `${what}: ${label} image has ${img.data.length} bytes, expected ${img.width}x${img.height}x3 RGB`,
      );
    }
  }
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`${what}: sizes differ (${a.width}x${a.height} vs ${b.width}x${b.height})`);
  }
}
