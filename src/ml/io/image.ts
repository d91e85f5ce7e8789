// Image files <-> 8-bit RGB pixels. Every image in pipe is RGB, row-major HWC, like PIL's convert('RGB'):
// alpha is dropped (not composited), grey and palette images are expanded.
// JPEG goes through libjpeg-turbo (mozjpeg's decoder compiled to wasm, @jsquash/jpeg): the same IDCT,
// chroma upsampling and colour conversion as Pillow, so pixels are bit-identical to what
// pytorch-CycleGAN-and-pix2pix trains on. (jpeg-js differs by up to 91 grey levels at colour edges of the
// 4:2:0 facades label maps: it replicates chroma instead of libjpeg's "fancy" interpolation.)
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import decodeJpegWasm, { init as initJpegWasm } from '@jsquash/jpeg/decode.js';
import { PNG } from 'pngjs';
import { StageUserError } from '../../core/errors.js';
import { readBounded } from '../../core/bounded-read.js';
import { checkImagePixels } from './image-header.js';

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
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'png';
  return undefined;
}

function unreadable(file: string, why: string): StageUserError {
  return new StageUserError(
    'PIPE_IMAGE_UNREADABLE',
    `Could not read image ${file}: ${why}. Replace or delete the file (pipe reads baseline/progressive JPEG and PNG).`,
  );
}

// libjpeg reports through the module's stderr hooks; decoding is synchronous inside the module, so the
// messages collected during one call belong to that call.
let jpegMessages: string[] = [];
let jpegReady: Promise<void> | undefined;

function jpegDecoder(): Promise<void> {
  jpegReady ??= (async () => {
    const wasmFile = createRequire(import.meta.url).resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm');
    const module = await WebAssembly.compile(await fs.readFile(wasmFile));
    const hook = (line: string) => void jpegMessages.push(line);
    // The published typings omit the (module, overrides) form that Node needs (no fetch of file: URLs).
    await (initJpegWasm as unknown as (m: WebAssembly.Module, o: object) => Promise<void>)(module, {
      print: hook,
      printErr: hook,
    });
  })();
  return jpegReady;
}

async function decodeJpeg(bytes: Uint8Array, file: string): Promise<RgbImage> {
  await jpegDecoder();
  jpegMessages = [];
  let img: { width: number; height: number; data: Uint8ClampedArray } | undefined;
  try {
    img = await decodeJpegWasm(bytes.slice().buffer as ArrayBuffer);
  } catch {
    img = undefined;
  }
  // Pillow refuses truncated files ("image file is truncated"); libjpeg only warns and pads with grey.
  const fatal = !img || jpegMessages.some((m) => /premature end/i.test(m));
  if (fatal) {
    const said = jpegMessages.join('; ') || 'decoder error';
    if (/unsupported color conversion/i.test(said))
      throw unreadable(file, 'a CMYK/YCCK JPEG, which pipe does not read; convert it to RGB');
    throw unreadable(file, `corrupt or unsupported JPEG data (${said})`);
  }
  return {
    width: img!.width,
    height: img!.height,
    data: rgbaToRgb(
      new Uint8Array(img!.data.buffer, img!.data.byteOffset, img!.data.byteLength),
      img!.width,
      img!.height,
    ),
  };
}

/** Decodes JPEG or PNG bytes (sniffed from the content, not the name); `file` names the source in errors. */
export async function decodeImage(bytes: Uint8Array, file: string): Promise<RgbImage> {
  const kind = kindOf(bytes);
  if (!kind) throw unreadable(file, 'not a JPEG or PNG file');
  checkImagePixels(bytes, kind, file);
  if (kind === 'jpeg') return decodeJpeg(bytes, file);
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, data: rgbaToRgb(png.data, png.width, png.height) };
  } catch (err) {
    throw unreadable(file, `corrupt PNG data (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** Reads and decodes an image file; a missing, corrupt or foreign file is a StageUserError naming the path. */
export async function readImage(file: string): Promise<RgbImage> {
  // Regular files under PIPE_MAX_IMAGE_BYTES only: /dev/zero or a FIFO must not grow or block the process.
  const bytes = await readBounded(file, { limit: 'imageBytes', what: 'image', code: 'PIPE_IMAGE_UNREADABLE' });
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
