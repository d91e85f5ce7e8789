// Unpacking the official dataset archives (.tar.gz for pix2pix, .zip for CycleGAN) into a folder,
// refusing anything that could write outside it, and publishing the folder only when complete.
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Unzip, UnzipInflate, UnzipPassThrough } from 'fflate';
import * as tar from 'tar';
import { StageUserError } from '../../core/errors.js';
import { InputLimitError } from '../../core/limits.js';
import { ExtractionBudget, stripSpecialModes } from './archive-limits.js';

export type ArchiveKind = 'tar.gz' | 'tar' | 'zip';

export function archiveKind(file: string): ArchiveKind | undefined {
  const f = file.toLowerCase();
  if (f.endsWith('.tar.gz') || f.endsWith('.tgz')) return 'tar.gz';
  if (f.endsWith('.tar')) return 'tar';
  if (f.endsWith('.zip')) return 'zip';
  return undefined;
}

/**
 * The safe relative form of an archive member's path, or undefined when it must be skipped
 * (absolute, drive-letter, `..`, or empty after normalisation).
 */
export function safeMemberPath(member: string): string | undefined {
  const p = member.replace(/\\/g, '/');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p)) return undefined;
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.length === 0 || parts.includes('..')) return undefined;
  return parts.join('/');
}

/**
 * Extracts `archive` into `dest` (which must not exist yet) through a sibling temp folder that is
 * renamed into place at the end. Only regular files and folders are written; links and unsafe
 * paths are skipped. Returns the number of files written.
 */
export async function extractArchive(archive: string, dest: string): Promise<number> {
  const kind = archiveKind(archive);
  if (!kind) throw new Error(`not an archive this tool unpacks: ${archive}`);
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await fs.mkdir(tmp, { recursive: true });
  let files = 0;
  try {
    const budget = new ExtractionBudget(archive, (await fs.stat(archive)).size);
    let overBudget: unknown;
    if (kind === 'zip') files = await extractZip(archive, tmp, budget);
    else {
      await tar.x({
        file: archive,
        cwd: tmp,
        gzip: kind === 'tar.gz',
        preservePaths: false,
        strict: true,
        noChmod: true,
        preserveOwner: false,
        filter: (p, entry) => {
          const type = (entry as { type?: string }).type;
          const ok = (type === 'File' || type === 'OldFile' || type === 'Directory') && safeMemberPath(p) !== undefined;
          if (ok && type !== 'Directory') {
            // The header states the size before any byte is written: refuse there (and write nothing more).
            const size = (entry as { size?: number }).size ?? 0;
            try {
              if (!overBudget) budget.add(p, size, size);
            } catch (e) {
              overBudget = e;
            }
            files++;
          }
          return ok && !overBudget;
        },
      });
      if (overBudget) throw overBudget;
    }
    await stripSpecialModes(tmp);
    await fs.rename(tmp, dest);
  } catch (err) {
    // node-tar may still be flushing entries after it rejects: retry the cleanup, and never let it mask the cause.
    await fs.rm(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }).catch(() => {});
    if (err instanceof InputLimitError) throw err;
    // node-tar's own guard against gzip bombs (ratio > 1000) fires before any entry is seen.
    if (/decompression ratio/i.test(String((err as Error)?.message))) {
      throw new InputLimitError(
        'PIPE_ARCHIVE_TOO_LARGE',
        `Refusing to unpack ${archive}: ${(err as Error).message}, like a decompression bomb. Nothing was kept.`,
      );
    }
    throw new StageUserError(
      'PIPE_ARCHIVE_UNREADABLE',
      `Could not unpack ${archive} (${err instanceof Error ? err.message : String(err)}). ` +
        'The file may be truncated or not the official archive: delete it and let pipe download it again, or put the extracted folder in its place.',
    );
  }
  return files;
}

// fflate's streaming unzip inflates one member at a time; each chunk goes straight to disk (synchronous
// writes inside the callback), so memory stays at one chunk whatever the member's size, and the budget
// stops a bomb at the first chunk over a limit.
async function extractZip(archive: string, dir: string, budget: ExtractionBudget): Promise<number> {
  let files = 0;
  let failure: unknown;
  const open = new Set<number>();
  const unzip = new Unzip((member) => {
    const rel = safeMemberPath(member.name);
    if (!rel || member.name.endsWith('/')) return;
    const target = path.join(dir, rel);
    let fd: number | undefined;
    let written = 0;
    member.ondata = (err, data, final) => {
      if (failure) return;
      try {
        if (err) throw err;
        written += data.length;
        budget.add(member.name, data.length, written);
        if (fd === undefined) {
          mkdirSync(path.dirname(target), { recursive: true });
          fd = openSync(target, 'w', 0o644);
          open.add(fd);
        }
        writeSync(fd, data);
        if (final) {
          closeSync(fd);
          open.delete(fd);
          files++;
        }
      } catch (e) {
        failure = e;
        member.terminate();
      }
    };
    member.start();
  });
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);
  try {
    // Small reads: one compressed chunk of zeros can inflate ~1000-fold before the budget sees it.
    for await (const chunk of createReadStream(archive, { highWaterMark: 16 * 1024 })) {
      unzip.push(chunk as Uint8Array);
      if (failure) throw failure;
    }
    unzip.push(new Uint8Array(0), true);
    if (failure) throw failure;
  } finally {
    for (const fd of open) closeSync(fd);
  }
  return files;
}
