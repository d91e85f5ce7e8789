// Finding a dataset's folder on this machine: the user's own `path:`, or a registry name looked up in
// the mirror folder (extracted folder or archive), then the download cache, then the network.
import fs from 'node:fs/promises';
import path from 'node:path';
import { StageUserError } from '../../core/errors.js';
import { extractArchive } from '../io/archive.js';
import { fetchVerified, type DownloadProgress } from '../io/download.js';
import { archiveFileName, DATASETS, type DatasetEntry } from './registry.js';
import { isFile } from '../../core/fs.js';

export interface DatasetSpec {
  source?: string | null;
  path?: string | null;
  layout: 'aligned' | 'unaligned';
}

export interface LocateOptions {
  projectDir: string;
  /** Mirror folder (--data-dir / PIPE_DATA_DIR). */
  dataDir?: string;
  /** User download cache; archives and their extracted folders live under it. */
  downloadDir: string;
  /** false: never touch the network or unpack anything; answer undefined when the data is not local yet. */
  download: boolean;
  onProgress?: DownloadProgress;
  signal?: AbortSignal;
  /** Registry to look names up in (tests point URLs at a local server). Default: DATASETS. */
  registry?: Record<string, DatasetEntry>;
}

export interface LocatedDataset {
  /** Folder holding the split folders (train/, test/ or trainA/, testA/, ...). */
  root: string;
  how: 'path' | 'mirror-folder' | 'extracted-cache' | 'mirror-archive' | 'download-cache' | 'download';
  /** Absolute file path -> sha256 from a SHA256SUMS beside the images, when there is one. */
  checksums: Map<string, string>;
  name?: string;
}

const EXTRACTED_MARKER = '.pipe-extracted.json';

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

function splitFolders(layout: 'aligned' | 'unaligned', entry?: DatasetEntry): string[] {
  if (entry) return entry.splits;
  return layout === 'aligned' ? ['train', 'val', 'test'] : ['trainA', 'trainB', 'testA', 'testB'];
}

/** `dir` itself, or its one subfolder, when it holds at least one of the split folders. */
async function findSplitRoot(dir: string, splits: string[]): Promise<string | undefined> {
  if (!(await isDir(dir))) return undefined;
  for (const s of splits) if (await isDir(path.join(dir, s))) return dir;
  const subs = (await fs.readdir(dir, { withFileTypes: true })).filter(
    (d) => d.isDirectory() && !d.name.startsWith('.'),
  );
  if (subs.length === 1) {
    const sub = path.join(dir, subs[0].name);
    for (const s of splits) if (await isDir(path.join(sub, s))) return sub;
  }
  return undefined;
}

/** Parses `SHA256SUMS` (sha256sum format) in `root` or its parent into absolute path -> digest. */
export async function readChecksums(root: string): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  for (const dir of [root, path.dirname(root)]) {
    let text: string;
    try {
      text = await fs.readFile(path.join(dir, 'SHA256SUMS'), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const m = /^([0-9a-fA-F]{64}) [ *]?(.+)$/.exec(line.trim());
      if (m) sums.set(path.resolve(dir, m[2]), m[1].toLowerCase());
    }
    break;
  }
  return sums;
}

function expectedLayoutText(layout: 'aligned' | 'unaligned'): string {
  return layout === 'aligned'
    ? 'train/ and test/ (optionally val/) folders of JPEG/PNG images with A (left) and B (right) side by side'
    : 'trainA/, trainB/, testA/ and testB/ folders of JPEG/PNG images';
}

async function located(root: string, how: LocatedDataset['how'], name?: string): Promise<LocatedDataset> {
  return { root, how, checksums: await readChecksums(root), name };
}

// eslint-disable-next-line max-lines-per-function -- the lookup order reads best in one place; to split next
export async function locateDataset(spec: DatasetSpec, opts: LocateOptions): Promise<LocatedDataset | undefined> {
  if (spec.path) {
    const dir = path.resolve(opts.projectDir, spec.path);
    const root = await findSplitRoot(dir, splitFolders(spec.layout));
    if (!root) {
      const st = await fs.stat(dir).catch(() => undefined);
      const why = st?.isDirectory()
        ? 'has none of the expected split folders'
        : st
          ? 'is a file, not a folder'
          : 'does not exist';
      throw new StageUserError(
        'PIPE_DATASET_NOT_FOUND',
        `Dataset folder ${dir} (dataset.path "${spec.path}", relative to ${opts.projectDir}) ${why}. ` +
          `For layout "${spec.layout}" it must hold ${expectedLayoutText(spec.layout)}.`,
      );
    }
    return located(root, 'path');
  }
  const name = spec.source ?? '';
  const registry = opts.registry ?? DATASETS;
  const entry = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!entry) {
    throw new StageUserError(
      'PIPE_UNKNOWN_DATASET',
      `Unknown dataset "${name}" in dataset.source. Known: ${Object.keys(registry).join(', ')}. ` +
        'For your own images, set dataset.path to a folder instead.',
    );
  }
  if (entry.layout !== spec.layout) {
    throw new StageUserError(
      'PIPE_DATASET_LAYOUT',
      `Dataset "${entry.name}" is ${entry.layout}, but dataset.layout is "${spec.layout}": set dataset.layout: ${entry.layout}.`,
    );
  }
  const looked: string[] = [];
  if (opts.dataDir) {
    const mirror = path.join(path.resolve(opts.dataDir), entry.name);
    looked.push(`${mirror}/`);
    const root = await findSplitRoot(mirror, entry.splits);
    if (root) return located(root, 'mirror-folder', entry.name);
  }
  const extracted = path.join(opts.downloadDir, 'datasets', entry.name);
  looked.push(`${extracted}/`);
  if (await isFile(path.join(extracted, EXTRACTED_MARKER))) {
    const root = await findSplitRoot(extracted, entry.splits);
    if (root) return located(root, 'extracted-cache', entry.name);
  }
  if (!opts.download) return undefined;

  const archive = archiveFileName(entry);
  // Offline the archive must already be in the mirror (--data-dir) or the download cache: name it exactly.
  const mirrorArchives = opts.dataDir ? [path.join(path.resolve(opts.dataDir), archive)] : [];
  const dataDirHint = opts.dataDir ? path.resolve(opts.dataDir) : 'a folder you pass as --data-dir (or PIPE_DATA_DIR)';
  const got = await fetchVerified({
    url: entry.url,
    sha256: entry.sha256,
    downloadDir: opts.downloadDir,
    mirrorCandidates: mirrorArchives,
    lookedIn: looked,
    what: `dataset "${entry.name}"`,
    provideHint:
      `put the extracted folder at ${dataDirHint}/${entry.name}/ (holding ${entry.splits.join('/, ')}/) or the archive ` +
      `${archive} in ${dataDirHint}, or point dataset.path at your own copy`,
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
  await fs.rm(extracted, { recursive: true, force: true });
  await fs.mkdir(path.dirname(extracted), { recursive: true });
  const staging = `${extracted}.unpacked-${process.pid}`;
  await fs.rm(staging, { recursive: true, force: true });
  await extractArchive(got.path, staging);
  await fs.writeFile(
    path.join(staging, EXTRACTED_MARKER),
    JSON.stringify({ archive: got.path, sha256: got.sha256, url: entry.url }, null, 2),
  );
  try {
    await fs.rename(staging, extracted);
  } catch (err) {
    // Another process unpacked the same archive first: keep its copy.
    await fs.rm(staging, { recursive: true, force: true });
    if (!(await isFile(path.join(extracted, EXTRACTED_MARKER)))) throw err;
  }
  const root = await findSplitRoot(extracted, entry.splits);
  if (!root) {
    throw new StageUserError(
      'PIPE_DATASET_NOT_FOUND',
      `The archive ${got.path} for dataset "${entry.name}" unpacked without the expected ${entry.splits.join(', ')} folders; ` +
        'delete it and try again, or provide the extracted folder with --data-dir.',
    );
  }
  const how = got.source === 'mirror' ? 'mirror-archive' : got.source === 'cache' ? 'download-cache' : 'download';
  return located(root, how, entry.name);
}
