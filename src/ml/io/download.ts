// Getting a large file (dataset archive, pretrained weights) onto disk exactly once and verified:
// mirror folder first, then the user download cache, then the network. Every file written goes
// through temp + sha256 check + rename, so a killed download never leaves a file that looks complete.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StageUserError } from '../../core/errors.js';
import { isFile } from '../../core/fs.js';

export type DownloadProgress = (bytes: number, total: number | undefined) => void;

export interface FetchVerifiedOptions {
  /** Official URL of the file. */
  url: string;
  /** Expected lowercase hex sha256; when absent the file is accepted unverified (its digest is still returned). */
  sha256?: string;
  /** Where a download lands. Default: `<downloadDir>/<fileName>`. */
  dest?: string;
  /** Default: the last path segment of `url`. */
  fileName?: string;
  /** Download cache folder used when `dest` is not given. Default: `defaultDownloadDir()`. */
  downloadDir?: string;
  /** Existing local copies to try first, in order (e.g. `<--weights-dir>/<file>`). */
  mirrorCandidates?: string[];
  onProgress?: DownloadProgress;
  /** Words for messages, e.g. `dataset "facades"` or `weights vgg16 (torchvision)`. */
  what?: string;
  /** How a user provides the file by hand, e.g. `place it in the folder given by --data-dir (PIPE_DATA_DIR)`. */
  provideHint?: string;
  /** Fail a download that receives nothing for this long. Default IDLE_TIMEOUT_MS. */
  idleTimeoutMs?: number;
  /** Other places the caller already looked (e.g. an extracted folder), listed first in the offline message. */
  lookedIn?: string[];
  /** Never touch the network, nor delete a cached copy (default: env PIPE_OFFLINE=1). */
  offline?: boolean;
  signal?: AbortSignal;
}

export interface FetchedFile {
  path: string;
  /** sha256 of the file's bytes (hex). */
  sha256: string;
  source: 'mirror' | 'cache' | 'download';
}

/** `PIPE_DOWNLOAD_DIR`, else `~/.cache/pipe` (XDG_CACHE_HOME honoured). */
export function defaultDownloadDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PIPE_DOWNLOAD_DIR) return path.resolve(env.PIPE_DOWNLOAD_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache');
  return path.join(base, 'pipe');
}

// Hashing a 500 MB weights file costs seconds; a file that did not change keeps its digest.
const digestMemo = new Map<string, string>();

/** sha256 (hex) of a file's bytes, memoised per (path, size, mtime) for this process. */
export async function sha256File(file: string): Promise<string> {
  const st = await fs.stat(file);
  const key = `${path.resolve(file)}\0${st.size}\0${st.mtimeMs}`;
  const known = digestMemo.get(key);
  if (known) return known;
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  const hex = hash.digest('hex');
  digestMemo.set(key, hex);
  return hex;
}

function mismatch(what: string, where: string, expected: string, actual: string, extra = ''): StageUserError {
  return new StageUserError(
    'PIPE_DIGEST_MISMATCH',
    `${what}: ${where} has sha256 ${actual}, expected ${expected}.${extra}`,
  );
}

/**
 * Returns a verified local copy of `url`: the first mirror candidate that exists (checked against
 * `sha256` when given), else an earlier download in the cache, else a fresh download.
 */
export async function fetchVerified(opts: FetchVerifiedOptions): Promise<FetchedFile> {
  const fileName = opts.fileName ?? decodeURIComponent(new URL(opts.url).pathname.split('/').pop() || 'download');
  const dest = opts.dest ?? path.join(opts.downloadDir ?? defaultDownloadDir(), fileName);
  const what = opts.what ?? fileName;
  const expected = opts.sha256?.toLowerCase();

  for (const candidate of opts.mirrorCandidates ?? []) {
    if (!(await isFile(candidate))) continue;
    const actual = await sha256File(candidate);
    // A wrong file in the mirror is a user mistake worth stopping for: silently downloading instead would hide it.
    if (expected && actual !== expected)
      throw mismatch(
        what,
        `mirror file ${candidate}`,
        expected,
        actual,
        ' Replace it with the official file or remove it.',
      );
    return { path: candidate, sha256: actual, source: 'mirror' };
  }

  const offline = opts.offline ?? process.env.PIPE_OFFLINE === '1';
  if (await isFile(dest)) {
    const actual = await sha256File(dest);
    if (!expected || actual === expected) return { path: dest, sha256: actual, source: 'cache' };
    // Offline, a mismatching cached copy is reported, not deleted (nothing could replace it).
    if (offline) {
      const extra = ` (${dest} is there but has sha256 ${actual}, expected ${expected})`;
      throw offlineMissing(opts, what, fileName, dest, extra);
    }
    // A stale or foreign file in our own cache: replace it.
    await fs.rm(dest, { force: true });
  }
  if (offline) throw offlineMissing(opts, what, fileName, dest, '');

  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let actual: string;
  try {
    actual = await downloadTo(opts.url, tmp, opts.onProgress, opts.signal, opts.idleTimeoutMs);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    if (err instanceof StageUserError || opts.signal?.aborted) throw err;
    const looked = [...(opts.lookedIn ?? []), ...(opts.mirrorCandidates ?? []), dest];
    const hint = opts.provideHint ?? `place ${fileName} in the mirror folder (--data-dir / --weights-dir)`;
    throw new StageUserError(
      'PIPE_DOWNLOAD_FAILED',
      `Could not get ${what}: no local copy (looked for ${looked.join(', ')}) and downloading ${opts.url} failed ` +
        `(${describeFailure(err)}). To provide it offline, ${hint}, or download ${opts.url} yourself and save it as ${dest}.`,
    );
  }
  if (expected && actual !== expected) {
    await fs.rm(tmp, { force: true });
    throw mismatch(
      what,
      `the download from ${opts.url}`,
      expected,
      actual,
      ' The file was deleted; the server may have changed it.',
    );
  }
  await fs.rename(tmp, dest);
  return { path: dest, sha256: actual, source: 'download' };
}

/** PIPE_OFFLINE=1 and no local copy: say exactly which file to put where. */
function offlineMissing(
  opts: FetchVerifiedOptions,
  what: string,
  fileName: string,
  dest: string,
  extra: string,
): StageUserError {
  const mirror = opts.mirrorCandidates?.[0];
  const looked = [...(opts.lookedIn ?? []), ...(opts.mirrorCandidates ?? []), dest];
  return new StageUserError(
    'PIPE_OFFLINE_MISSING',
    `Offline (PIPE_OFFLINE=1): ${what} has no local copy${extra}; looked for ${looked.join(', ')}. ` +
      `Put ${fileName} (from ${opts.url}) at ${mirror ?? dest}` +
      `${opts.provideHint ? `, or ${opts.provideHint}` : ''}; no network call was made.`,
  );
}

function describeFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return err.message;
}

/** How long a download may receive nothing before it counts as failed (a stalled server or network). */
export const IDLE_TIMEOUT_MS = 60_000;

/** Streams `url` into `file`, returning the sha256 of the bytes written. */
async function downloadTo(
  url: string,
  file: string,
  onProgress?: DownloadProgress,
  signal?: AbortSignal,
  idleMs = IDLE_TIMEOUT_MS,
): Promise<string> {
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const kick = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs / 1000} s`)), idleMs);
  };
  const both = signal ? AbortSignal.any([signal, idle.signal]) : idle.signal;
  kick();
  try {
    const res = await fetch(url, { signal: both, redirect: 'follow' });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
    const lengthHeader = res.headers.get('content-length');
    const total = lengthHeader ? Number(lengthHeader) : undefined;
    const hash = createHash('sha256');
    let bytes = 0;
    onProgress?.(0, total);
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          kick();
          hash.update(chunk);
          bytes += chunk.length;
          onProgress?.(bytes, total);
          yield chunk;
        }
      },
      createWriteStream(file),
      { signal: both },
    );
    if (total !== undefined && bytes !== total) throw new Error(`connection closed after ${bytes} of ${total} bytes`);
    return hash.digest('hex');
  } catch (err) {
    // Report the stall itself rather than the generic AbortError it causes.
    if (idle.signal.aborted && !signal?.aborted) throw idle.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
