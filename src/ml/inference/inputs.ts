// INPUT arguments of `pipe predict` -> image files with the output name each gets: a file keeps its base
// name, a folder's images keep their path inside the folder, a glob's matches their base names.
import fs from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { StageUserError } from '../../core/errors.js';
import { isImageFile } from '../io/image.js';

export interface InputImage {
  file: string;
  /** Output PNG path relative to the output folder, without extension. */
  name: string;
}

const collator = new Intl.Collator('en', { numeric: true });
const stem = (p: string) => p.replace(/\.[^./\\]+$/, '');

async function folderImages(dir: string): Promise<InputImage[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isImageFile(e.name))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort(collator.compare)
    .map((rel) => ({ file: path.join(dir, rel), name: stem(rel) }));
}

async function one(arg: string): Promise<InputImage[]> {
  const st = await fs.stat(arg).catch(() => undefined);
  if (st?.isFile()) return [{ file: path.resolve(arg), name: stem(path.basename(arg)) }];
  if (st?.isDirectory()) {
    const found = await folderImages(path.resolve(arg));
    if (!found.length)
      throw new StageUserError('PIPE_INPUT_EMPTY', `Input folder ${arg} holds no .jpg, .jpeg or .png images.`);
    return found;
  }
  if (isDynamicPattern(arg)) {
    const files = (await glob(arg, { absolute: true, onlyFiles: true })).filter(isImageFile).sort(collator.compare);
    if (!files.length)
      throw new StageUserError('PIPE_INPUT_EMPTY', `Input pattern ${arg} matches no .jpg, .jpeg or .png images.`);
    return files.map((f) => ({ file: f, name: stem(path.basename(f)) }));
  }
  throw new StageUserError(
    'PIPE_INPUT_NOT_FOUND',
    `Input ${arg} does not exist. Give image files, folders or quoted globs.`,
  );
}

/** Every input image once, in argument order; two inputs that would write the same PNG are an error. */
export async function expandInputs(args: string[]): Promise<InputImage[]> {
  const out: InputImage[] = [];
  const byName = new Map<string, string>();
  const seen = new Set<string>();
  for (const arg of args) {
    for (const img of await one(arg)) {
      if (seen.has(img.file)) continue;
      seen.add(img.file);
      const other = byName.get(img.name);
      if (other) {
        throw new StageUserError(
          'PIPE_INPUT_NAME_CLASH',
          `Inputs ${other} and ${img.file} would both be written as ${img.name}.png; ` +
            'predict them into separate output folders.',
        );
      }
      byName.set(img.name, img.file);
      out.push(img);
    }
  }
  return out;
}
