// Image dimensions from the header alone, so a file declaring 30000×30000 is refused before a decoder
// allocates its pixels (a 2.6 MB PNG of zero rows otherwise takes 8.7 GB).
import { formatBytes, InputLimitError, limit, LIMITS } from '../../core/limits.js';

export interface Dimensions {
  width: number;
  height: number;
}

/** PNG: the IHDR chunk is first; width and height are big-endian u32 at bytes 16 and 20. */
function pngDimensions(b: Uint8Array): Dimensions | undefined {
  if (b.length < 24) return undefined;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/** JPEG: walk the marker segments to the first SOFn (C0–CF except C4 DHT, C8 JPG, CC DAC). */
function jpegDimensions(b: Uint8Array): Dimensions | undefined {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    const len = (b[i + 2] << 8) | b[i + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8] };
    }
    if (marker === 0xda || len < 2) return undefined; // start of scan before any frame header
    i += 2 + len;
  }
  return undefined;
}

export function headerDimensions(bytes: Uint8Array, kind: 'png' | 'jpeg'): Dimensions | undefined {
  return kind === 'png' ? pngDimensions(bytes) : jpegDimensions(bytes);
}

/** Throws PIPE_IMAGE_TOO_LARGE when the header declares more pixels than PIPE_MAX_PIXELS allows. */
export function checkImagePixels(bytes: Uint8Array, kind: 'png' | 'jpeg', file: string): void {
  const d = headerDimensions(bytes, kind);
  if (!d) return; // no readable header: the decoder reports the corrupt file
  const max = limit('imagePixels');
  const pixels = d.width * d.height;
  if (pixels <= max) return;
  throw new InputLimitError(
    'PIPE_IMAGE_TOO_LARGE',
    `Image ${file} declares ${d.width}×${d.height} = ${(pixels / 1e6).toFixed(1)} megapixels, over the limit of ` +
      `${(max / 1e6).toFixed(1)} megapixels (decoding it would take about ${formatBytes(pixels * 4)}). ` +
      `Resize the image, or raise ${LIMITS.imagePixels.env}=<pixels> if it is genuine.`,
  );
}
