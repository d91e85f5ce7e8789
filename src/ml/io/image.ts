// Image files <-> 8-bit RGB pixels. Every image in pipe is RGB, row-major HWC, like PIL's convert('RGB'):
// alpha is dropped (not composited), grey and palette images are expanded.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { StageUserError } from '../../stages/types.js';

export interface RgbImage {
  width: number;
  height: number;
  /** width*height*3 bytes, RGB, row-major. */
  data: Uint8Array;
}

const IMAGE_EXT = /\.(jpe?g|png)$/i;

/** Whether a file name looks like an image pipe reads (JPEG or PNG). */
export function isImageFile(name: string): boolean {
  return IMAGE_EXT.test(name);
}

function rgbaToRgb(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0, j = 0; i < n * 4; i += 4, j += 3) {
    out[j] = rgba[i];
    out[j + 1] = rgba[i + 1];
    out[j + 2] = rgba[i + 2];
  }
  return out;
}

function kindOf(bytes: Uint8Array): 'jpeg' | 'png' | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  return undefined;
}

function unreadable(file: string, why: string): StageUserError {
  return new StageUserError(
    'PIPE_IMAGE_UNREADABLE',
    `Could not read image ${file}: ${why}. Replace or delete the file (pipe reads baseline/progressive JPEG and PNG).`,
  );
}

/** Decodes JPEG or PNG bytes (sniffed from the content, not the name); `file` names the source in errors. */
export function decodeImage(bytes: Uint8Array, file: string): RgbImage {
  const kind = kindOf(bytes);
  if (!kind) throw unreadable(file, 'not a JPEG or PNG file');
  try {
    if (kind === 'jpeg') {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false });
      return { width: img.width, height: img.height, data: rgbaToRgb(img.data, img.width, img.height) };
    }
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: rgbaToRgb(png.data, png.width, png.height) };
  } catch (err) {
    throw unreadable(file, `corrupt ${kind.toUpperCase()} data (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Reads and decodes an image file; a missing, corrupt or foreign file is a StageUserError naming the path. */
export async function readImage(file: string): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (err) {
    throw unreadable(file, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  return decodeImage(bytes, file);
}

/** PNG bytes (8-bit RGB, no alpha) of an image. */
export function encodePng(img: RgbImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

/** Writes a PNG through a temp file and rename, so readers never see half a file. */
export async function writePng(file: string, img: RgbImage): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, encodePng(img));
  await fs.rename(tmp, file);
}

/** The w×h region at (x, y). */
export function cropImage(img: RgbImage, x: number, y: number, w: number, h: number): RgbImage {
  if (x < 0 || y < 0 || x + w > img.width || y + h > img.height) throw new RangeError('crop outside the image');
  const out = new Uint8Array(w * h * 3);
  for (let r = 0; r < h; r++) {
    const src = ((y + r) * img.width + x) * 3;
    out.set(img.data.subarray(src, src + w * 3), r * w * 3);
  }
  return { width: w, height: h, data: out };
}

/**
 * Model output in [-1, 1] (HWC floats, 3 channels) -> 8-bit RGB the way pytorch-CycleGAN-and-pix2pix's
 * `tensor2im` does it: (x + 1) / 2 * 255, then truncated (numpy astype(uint8)), after clamping to [-1, 1].
 */
export function unitRangeToRgb(values: ArrayLike<number>, width: number, height: number, offset = 0): RgbImage {
  const n = width * height * 3;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.min(1, Math.max(-1, values[offset + i]));
    out[i] = Math.floor(((v + 1) / 2) * 255);
  }
  return { width, height, data: out };
}
