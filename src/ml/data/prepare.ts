// From a dataset folder to the prepared form: list the images of the training and evaluation splits,
// decode, split A|B (aligned), apply `direction`, resize (Pillow bicubic) to load_size (training) or
// crop_size (evaluation), and append the bytes to one raw file per role and domain.
import { constants as bufferConstants } from 'node:buffer';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { StageUserError } from '../../core/errors.js';
import { readBounded } from '../../core/bounded-read.js';
import { cropImage, decodeImage, isImageFile, type RgbImage } from '../io/image.js';
import { resizeBicubic } from '../io/resize.js';
import {
  PREPARED_FORMAT,
  PREPARED_MANIFEST,
  type PreparedDomainInfo,
  type PreparedManifest,
  type PreparedRoleInfo,
} from './prepared.js';

export interface PrepareSpec {
  layout: 'aligned' | 'unaligned';
  direction: 'AtoB' | 'BtoA';
  loadSize: number;
  cropSize: number;
  /** First N training images (per domain for unaligned data); null for all. */
  maxImages: number | null;
  trainSplit: string;
  evalSplit: string;
}

/** Source files of one role. Aligned: one A|B file per pair; unaligned: files of the A and B folders (before `direction`). */
export type RolePlan =
  | { layout: 'aligned'; split: string; files: string[] }
  | { layout: 'unaligned'; split: string; A: string[]; B: string[] };

export interface SourcePlan {
  root: string;
  train: RolePlan;
  eval: RolePlan;
}

const collator = new Intl.Collator('en', { numeric: true });
const MAX_LENGTH = bufferConstants.MAX_LENGTH;

/** Image files under `dir` (recursively), in natural order of their relative names (2.jpg before 10.jpg). */
async function listImages(dir: string, what: string, root: string): Promise<string[]> {
  let entries;
  try {
    entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    const present = await fs.readdir(root).catch(() => [] as string[]);
    throw new StageUserError(
      'PIPE_DATASET_SPLIT_MISSING',
      `Dataset folder ${root} has no ${what} folder ${path.basename(dir)}/ (it has: ${
        present
          .filter((p) => !p.startsWith('.'))
          .sort()
          .join(', ') || 'nothing'
      }). ` + 'Choose an existing split (dataset.train_split, evaluate.split) or add the folder.',
    );
  }
  const rel = (await Promise.all(entries.filter((d) => isImageFile(d.name)).map((d) => imageEntry(d, dir))))
    .filter((r): r is string => r !== undefined)
    .sort(collator.compare);
  if (rel.length === 0)
    throw new StageUserError(
      'PIPE_DATASET_EMPTY',
      `Dataset folder ${dir} (${what}) holds no .jpg, .jpeg or .png images.`,
    );
  return rel.map((r) => path.join(dir, r));
}

/**
 * The relative name of an image entry, or undefined when it is not a file. A symlink is followed (its
 * target's bytes are what gets digested and fingerprinted); one that dangles or leads to something other
 * than a regular file is an error, never a silent drop.
 */
async function imageEntry(d: import('node:fs').Dirent, dir: string): Promise<string | undefined> {
  const full = path.join(d.parentPath, d.name);
  if (d.isSymbolicLink()) {
    const st = await fs.stat(full).catch(() => undefined);
    if (!st?.isFile()) {
      const target = await fs.readlink(full).catch(() => '?');
      throw new StageUserError(
        'PIPE_DATASET_BAD_LINK',
        `Dataset image ${full} is a symbolic link to ${target}, ` +
          `which ${st ? 'is not a regular file' : 'does not exist'}. ` +
          'Fix or remove the link (links to image files are followed).',
      );
    }
  } else if (!d.isFile()) return undefined;
  return path.relative(dir, full);
}

/** Split names are folder names: "../../x" or "a/b" would read outside the dataset root. */
function checkSplitName(split: string, root: string): void {
  if (/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(split)) return;
  throw new StageUserError(
    'PIPE_BAD_SPLIT',
    `Split name ${JSON.stringify(split.slice(0, 100))} (dataset.train_split / evaluate.split) ` +
      `is not a folder name of ${root}: ` +
      'use letters, digits, _ and - only (e.g. train, test, val).',
  );
}

async function planRole(
  root: string,
  layout: PrepareSpec['layout'],
  split: string,
  limit: number | null,
  what: string,
): Promise<RolePlan> {
  checkSplitName(split, root);
  const take = (files: string[]) => (limit === null ? files : files.slice(0, limit));
  if (layout === 'aligned') return { layout, split, files: take(await listImages(path.join(root, split), what, root)) };
  return {
    layout,
    split,
    A: take(await listImages(path.join(root, `${split}A`), what, root)),
    B: take(await listImages(path.join(root, `${split}B`), what, root)),
  };
}

/** Which files the preparation reads, without reading them. */
export async function planSources(root: string, spec: PrepareSpec): Promise<SourcePlan> {
  return {
    root,
    train: await planRole(root, spec.layout, spec.trainSplit, spec.maxImages, 'training split'),
    eval: await planRole(root, spec.layout, spec.evalSplit, null, 'evaluation split'),
  };
}

/** Every file of a plan, once. */
export function planFiles(plan: SourcePlan): string[] {
  const all = [plan.train, plan.eval].flatMap((r) => (r.layout === 'aligned' ? r.files : [...r.A, ...r.B]));
  return [...new Set(all)];
}

export interface PrepareOptions {
  /** Absolute path -> expected sha256 (from SHA256SUMS); a listed file with other bytes is an error. */
  checksums?: Map<string, string>;
  source?: Record<string, unknown>;
  onProgress?: (done: number, total: number, file: string) => void;
  signal?: AbortSignal;
}

class DomainWriter {
  readonly names: string[] = [];
  private constructor(
    private readonly handle: fs.FileHandle,
    readonly file: string,
  ) {}
  static async open(dir: string, file: string): Promise<DomainWriter> {
    return new DomainWriter(await fs.open(path.join(dir, file), 'w'), file);
  }
  async add(name: string, img: RgbImage): Promise<void> {
    const { bytesWritten } = await this.handle.write(img.data);
    if (bytesWritten !== img.data.length) throw new Error(`short write to ${this.file} (disk full?)`);
    this.names.push(name);
  }
  async close(): Promise<PreparedDomainInfo> {
    await this.handle.close();
    return { file: this.file, count: this.names.length, names: this.names };
  }
}

// Each prepared domain file is read into one Buffer by train/evaluate: refuse early what could never load.
function checkFits(plan: SourcePlan, spec: PrepareSpec): void {
  const count = (r: RolePlan) => (r.layout === 'aligned' ? r.files.length : Math.max(r.A.length, r.B.length));
  const largest = Math.max(count(plan.train) * spec.loadSize ** 2, count(plan.eval) * spec.cropSize ** 2) * 3;
  if (largest > MAX_LENGTH) {
    throw new StageUserError(
      'PIPE_DATASET_TOO_LARGE',
      `The prepared dataset from ${plan.root} would need ${(largest / 2 ** 30).toFixed(1)} GiB in one piece, more than ` +
        `this Node.js can hold (${(MAX_LENGTH / 2 ** 30).toFixed(1)} GiB). Limit the training split with dataset.max_images or lower dataset.load_size.`,
    );
  }
}

function toSquare(img: RgbImage, size: number): RgbImage {
  return img.width === size && img.height === size ? img : resizeBicubic(img, size, size);
}

/** Writes the prepared dataset into `outDir` (which the caller publishes atomically) and returns its manifest. */
// eslint-disable-next-line max-lines-per-function -- one linear pass (list, pair, split, resize, write); to split next
export async function prepareDataset(
  plan: SourcePlan,
  spec: PrepareSpec,
  outDir: string,
  opts: PrepareOptions = {},
): Promise<PreparedManifest> {
  checkFits(plan, spec);
  const digests = createHash('sha256');
  const total = [plan.train, plan.eval].reduce(
    (n, r) => n + (r.layout === 'aligned' ? r.files.length : r.A.length + r.B.length),
    0,
  );
  let done = 0;
  const swap = spec.direction === 'BtoA';

  const read = async (file: string): Promise<RgbImage> => {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
    // Regular files under PIPE_MAX_IMAGE_BYTES only (a FIFO or device in the dataset must not hang the stage).
    const bytes = await readBounded(file, { limit: 'imageBytes', what: 'image', code: 'PIPE_IMAGE_UNREADABLE' });
    const digest = createHash('sha256').update(bytes).digest('hex');
    const expected = opts.checksums?.get(file);
    if (expected && expected !== digest) {
      throw new StageUserError(
        'PIPE_DIGEST_MISMATCH',
        `Image ${file} has sha256 ${digest}, but SHA256SUMS beside the dataset lists ${expected}. Restore the original file or fix SHA256SUMS.`,
      );
    }
    digests.update(`${path.relative(plan.root, file).split(path.sep).join('/')}\0${digest}\n`);
    const img = await decodeImage(bytes, file);
    opts.onProgress?.(++done, total, file);
    return img;
  };

  const role = async (r: RolePlan, tag: 'train' | 'eval', size: number): Promise<PreparedRoleInfo> => {
    const a = await DomainWriter.open(outDir, `${tag}.A.u8`);
    const b = await DomainWriter.open(outDir, `${tag}.B.u8`);
    let complete = false;
    try {
      if (r.layout === 'aligned') {
        for (const file of r.files) {
          const ab = await read(file);
          // pytorch-CycleGAN-and-pix2pix AlignedDataset: w2 = int(w / 2), A = left, B = right.
          const w2 = Math.floor(ab.width / 2);
          if (w2 < 1)
            throw new StageUserError(
              'PIPE_IMAGE_UNREADABLE',
              `Image ${file} is ${ab.width} px wide: too narrow to hold A|B side by side.`,
            );
          const left = toSquare(cropImage(ab, 0, 0, w2, ab.height), size);
          const right = toSquare(cropImage(ab, w2, 0, ab.width - w2, ab.height), size);
          const name = path.relative(path.join(plan.root, r.split), file);
          await a.add(name, swap ? right : left);
          await b.add(name, swap ? left : right);
        }
      } else {
        const [srcA, srcB] = swap ? [r.B, r.A] : [r.A, r.B];
        const dirA = `${r.split}${swap ? 'B' : 'A'}`;
        const dirB = `${r.split}${swap ? 'A' : 'B'}`;
        for (const file of srcA)
          await a.add(path.relative(path.join(plan.root, dirA), file), toSquare(await read(file), size));
        for (const file of srcB)
          await b.add(path.relative(path.join(plan.root, dirB), file), toSquare(await read(file), size));
      }
      complete = true;
    } finally {
      // On failure still release the handles; the caller discards outDir.
      if (!complete) await Promise.allSettled([a.close(), b.close()]);
    }
    return { split: r.split, size, A: await a.close(), B: await b.close() };
  };

  const train = await role(plan.train, 'train', spec.loadSize);
  const evalRole = await role(plan.eval, 'eval', spec.cropSize);
  const manifest: PreparedManifest = {
    format: PREPARED_FORMAT,
    layout: spec.layout,
    direction: spec.direction,
    loadSize: spec.loadSize,
    cropSize: spec.cropSize,
    sourceDigest: digests.digest('hex'),
    source: opts.source ?? {},
    train,
    eval: evalRole,
  };
  const tmp = path.join(outDir, `${PREPARED_MANIFEST}.tmp`);
  await fs.writeFile(tmp, JSON.stringify(manifest));
  await fs.rename(tmp, path.join(outDir, PREPARED_MANIFEST));
  return manifest;
}
