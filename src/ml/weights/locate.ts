// Finding a weight set on disk: the mirror folder first (any form the registry knows), then the user download
// cache, then the official URL (verified). Offline and missing: one message naming every place looked at.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { defaultDownloadDir, fetchVerified, sha256File, type DownloadProgress } from '../io/download.js';
import { WeightsError } from './errors.js';
import { WEIGHT_SETS, type WeightSetId } from './registry.js';
import type { WeightFormat } from './types.js';
import { isFile } from '../../core/fs.js';

export interface LocateOptions {
  /** Mirror folder; default env PIPE_WEIGHTS_DIR. */
  weightsDir?: string;
  /** Download cache; default `<PIPE_DOWNLOAD_DIR or ~/.cache/pipe>/weights`. */
  downloadDir?: string;
  onProgress?: DownloadProgress;
  /** Never use the network (default: env PIPE_OFFLINE=1). */
  offline?: boolean;
  /**
   * Base URL of an HTTP mirror holding the official files under their official names (default: env
   * PIPE_WEIGHTS_URL); downloads from it are verified against the same official digests.
   */
  httpMirror?: string;
}

export interface LocatedWeights {
  id: WeightSetId;
  file: string;
  format: WeightFormat;
  source: 'mirror' | 'cache' | 'download';
  /** sha256 of the file read (for tfjs: of model.json). */
  sha256: string;
}

export function resolveWeightsDir(weightsDir?: string): string | undefined {
  const dir = weightsDir ?? process.env.PIPE_WEIGHTS_DIR;
  return dir ? path.resolve(dir) : undefined;
}

export function resolveDownloadDir(downloadDir?: string): string {
  return downloadDir ? path.resolve(downloadDir) : path.join(defaultDownloadDir(), 'weights');
}

async function md5File(file: string): Promise<string> {
  const h = createHash('md5');
  await pipeline(createReadStream(file), h);
  return h.digest('hex');
}

/** `<mirror>/SHA256SUMS` (sha256sum format), when the mirror ships one. */
async function mirrorSums(dir: string): Promise<Map<string, string>> {
  const sums = new Map<string, string>();
  const text = await fs.readFile(path.join(dir, 'SHA256SUMS'), 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(.+)$/.exec(line.trim());
    if (m) sums.set(path.normalize(m[2]!), m[1]!);
  }
  return sums;
}

function mismatch(what: string, file: string, algo: string, expected: string, actual: string): WeightsError {
  return new WeightsError(
    'PIPE_WEIGHTS_DIGEST_MISMATCH',
    `${what}: ${file} has ${algo} ${actual}, expected ${expected}. The file is damaged or not the official one: ` +
      'replace it with the official file or remove it.',
  );
}

/** A one-line progress display on stderr when it is a terminal (callers with their own UI pass onProgress). */
function terminalProgress(name: string): DownloadProgress | undefined {
  if (!process.stderr.isTTY) return undefined;
  let last = 0;
  return (bytes, total) => {
    const now = Date.now();
    const done = total !== undefined && bytes >= total;
    if (!done && now - last < 200) return;
    last = now;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    const pct = total ? ` ${((100 * bytes) / total).toFixed(0)}%` : '';
    process.stderr.write(
      `\rdownloading ${name}: ${mb(bytes)}${total ? `/${mb(total)}` : ''} MB${pct}${done ? '\n' : ''}`,
    );
  };
}

/** Files a tfjs manifest needs, relative to its folder (model.json itself included). */
async function tfjsFiles(modelJson: string): Promise<string[]> {
  const json = JSON.parse(await fs.readFile(modelJson, 'utf8'));
  const groups = (Array.isArray(json) ? json : (json.weightsManifest ?? [])) as { paths: string[] }[];
  return [path.basename(modelJson), ...groups.flatMap((g) => g.paths)];
}

// eslint-disable-next-line max-lines-per-function -- the lookup order reads best in one place; to split next
export async function locateWeights(id: WeightSetId, opts: LocateOptions = {}): Promise<LocatedWeights> {
  const set = WEIGHT_SETS[id];
  const what = `${set.title} [${id}]`;
  const mirrorDir = resolveWeightsDir(opts.weightsDir);
  const looked: string[] = [];

  if (mirrorDir) {
    const sums = await mirrorSums(mirrorDir);
    for (const form of set.mirror) {
      const file = path.join(mirrorDir, form.path);
      looked.push(file);
      if (!(await isFile(file))) continue;
      const actual = await sha256File(file);
      const isOfficial = form.official === true;
      const expected =
        form.sha256 ?? (isOfficial ? set.official.sha256 : undefined) ?? sums.get(path.normalize(form.path));
      if (expected && actual !== expected) throw mismatch(what, file, 'sha256', expected, actual);
      if (isOfficial && set.official.md5) {
        const md5 = await md5File(file);
        if (md5 !== set.official.md5) throw mismatch(what, file, 'md5', set.official.md5, md5);
      }
      if (form.format === 'tfjs') {
        // Shards present on disk are checked against the mirror's SHA256SUMS; absent ones are reported by the reader.
        const dir = path.dirname(form.path);
        for (const rel of (await tfjsFiles(file)).slice(1)) {
          const shard = path.join(mirrorDir, dir, rel);
          const want = sums.get(path.normalize(path.join(dir, rel)));
          if (want && (await isFile(shard))) {
            const got = await sha256File(shard);
            if (got !== want) throw mismatch(what, shard, 'sha256', want, got);
          }
        }
      }
      return { id, file, format: form.format, source: 'mirror', sha256: actual };
    }
  }

  const downloadDir = resolveDownloadDir(opts.downloadDir);
  const dest = path.join(downloadDir, set.official.fileName);
  looked.push(dest);
  // Where a hand-copied official file belongs in a mirror (for LPIPS heads, the upstream repo's layout).
  const mirrorName = set.mirror.find((f) => f.official)?.path ?? set.official.fileName;
  const missing = (reason: string) => {
    const mirrorNote = mirrorDir
      ? `the mirror folder ${mirrorDir} (--weights-dir / PIPE_WEIGHTS_DIR)`
      : 'no mirror folder (none given: --weights-dir or PIPE_WEIGHTS_DIR)';
    return new WeightsError(
      'PIPE_WEIGHTS_MISSING',
      `${what} not found. Looked in ${mirrorNote} and the download cache ${downloadDir}: ${looked.join(', ')}; ` +
        `${reason}. To provide it offline, download ${set.official.url} on a connected machine and put it at ` +
        `${path.join(mirrorDir ?? '<weights dir>', mirrorName)} ` +
        `(with --weights-dir or PIPE_WEIGHTS_DIR pointing at that folder) or at ${dest}.`,
    );
  };
  const offline = opts.offline ?? process.env.PIPE_OFFLINE === '1';
  const httpMirror = opts.httpMirror ?? process.env.PIPE_WEIGHTS_URL;
  const url = httpMirror ? `${httpMirror.replace(/\/+$/, '')}/${set.official.fileName}` : set.official.url;
  if (offline && !(await isFile(dest))) throw missing('downloading is off (offline mode, PIPE_OFFLINE=1)');
  try {
    const got = await fetchVerified({
      url,
      sha256: set.official.sha256,
      dest,
      what,
      offline,
      onProgress: opts.onProgress ?? terminalProgress(set.official.fileName),
    });
    if (set.official.md5) {
      const md5 = await md5File(got.path);
      if (md5 !== set.official.md5) {
        await fs.rm(got.path, { force: true });
        throw mismatch(what, got.path, 'md5', set.official.md5, md5);
      }
    }
    return { id, file: got.path, format: set.official.format, source: got.source, sha256: got.sha256 };
  } catch (err) {
    if ((err as { code?: string }).code !== 'PIPE_DOWNLOAD_FAILED') throw err;
    const reason = /failed \((.*)\)\. To provide/.exec((err as Error).message)?.[1] ?? (err as Error).message;
    throw missing(`downloading ${url} failed (${reason})`);
  }
}
