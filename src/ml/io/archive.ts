// Unpacking the official dataset archives (.tar.gz for pix2pix, .zip for CycleGAN) into a folder,
// refusing anything that could write outside it, and publishing the folder only when complete.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Unzip, UnzipInflate, UnzipPassThrough } from 'fflate';
import * as tar from 'tar';
import { StageUserError } from '../../core/errors.js';

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
    if (kind === 'zip') files = await extractZip(archive, tmp);
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
          if (ok && type !== 'Directory') files++;
          return ok;
        },
      });
    }
    await fs.rename(tmp, dest);
  } catch (err) {
    // node-tar may still be flushing entries after it rejects: retry the cleanup, and never let it mask the cause.
    await fs.rm(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }).catch(() => {});
    throw new StageUserError(
      'PIPE_ARCHIVE_UNREADABLE',
      `Could not unpack ${archive} (${err instanceof Error ? err.message : String(err)}). ` +
        'The file may be truncated or not the official archive: delete it and let pipe download it again, or put the extracted folder in its place.',
    );
  }
  return files;
}

// fflate's streaming unzip keeps one member in memory at a time, not the whole (hundreds of MB) archive.
async function extractZip(archive: string, dir: string): Promise<number> {
  const writes: Promise<void>[] = [];
  let files = 0;
  let failure: unknown;
  const unzip = new Unzip((member) => {
    const rel = safeMemberPath(member.name);
    if (!rel || member.name.endsWith('/')) return;
    const chunks: Uint8Array[] = [];
    member.ondata = (err, data, final) => {
      if (err) {
        failure ??= err;
        return;
      }
      chunks.push(data);
      if (final) {
        const target = path.join(dir, rel);
        files++;
        writes.push(
          fs
            .mkdir(path.dirname(target), { recursive: true })
            .then(() => fs.writeFile(target, Buffer.concat(chunks)))
            .catch((e) => {
              failure ??= e;
            }),
        );
      }
    };
    member.start();
  });
  unzip.register(UnzipInflate);
  unzip.register(UnzipPassThrough);
  for await (const chunk of createReadStream(archive)) {
    unzip.push(chunk as Uint8Array);
    if (failure) throw failure;
  }
  unzip.push(new Uint8Array(0), true);
  if (failure) throw failure;
  await Promise.all(writes);
  if (failure) throw failure;
  return files;
}
