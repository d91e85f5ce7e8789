// Test support: a small in-memory PreparedSplit decoded straight from the shared datasets, so training
// tests do not depend on running the dataset stage first.
import fs from 'node:fs/promises';
import path from 'node:path';
import { cropImage, readImage, type RgbImage } from '../io/image.js';
import { resizeBicubic } from '../io/resize.js';
import type { PreparedImages, PreparedSplit } from '../data/types.js';

function images(list: RgbImage[], names: string[], size: number): PreparedImages {
  return { count: list.length, names, size, get: (i) => list[i].data };
}

const numeric = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** facades-style A|B images: A = left half, B = right half (swap for BtoA), resized to size. */
export async function alignedSplit(
  dir: string,
  count: number,
  size: number,
  direction: 'AtoB' | 'BtoA' = 'BtoA',
): Promise<PreparedSplit> {
  const names = (await fs.readdir(dir)).sort(numeric).slice(0, count);
  const A: RgbImage[] = [];
  const B: RgbImage[] = [];
  for (const n of names) {
    const img = await readImage(path.join(dir, n));
    const w = Math.floor(img.width / 2);
    const left = resizeBicubic(cropImage(img, 0, 0, w, img.height), size, size);
    const right = resizeBicubic(cropImage(img, w, 0, w, img.height), size, size);
    (direction === 'AtoB' ? A : B).push(left);
    (direction === 'AtoB' ? B : A).push(right);
  }
  return { A: images(A, names, size), B: images(B, names, size) };
}

/** trainA/trainB-style folders, the first `count` images of each, resized to size. */
export async function unalignedSplit(dirA: string, dirB: string, count: number, size: number): Promise<PreparedSplit> {
  const load = async (dir: string) => {
    const names = (await fs.readdir(dir)).sort(numeric).slice(0, count);
    const list = await Promise.all(
      names.map(async (n) => resizeBicubic(await readImage(path.join(dir, n)), size, size)),
    );
    return images(list, names, size);
  };
  return { A: await load(dirA), B: await load(dirB) };
}
