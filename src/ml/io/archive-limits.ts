// Budget for one archive extraction: bytes per member, bytes in all, and unpacked-to-packed ratio
// (PIPE_MAX_ARCHIVE_MEMBER_BYTES, PIPE_MAX_ARCHIVE_BYTES, PIPE_MAX_ARCHIVE_RATIO). A 2.6 MB zip holding a
// 2 GiB member of zeros is refused after a few MB, not after 2 GiB on disk and 4 GB of memory.
import { chmod, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes, InputLimitError, limit, LIMITS } from '../../core/limits.js';

/** The ratio applies only past this many unpacked bytes: tiny archives of text compress well too. */
const RATIO_FLOOR = 1024 * 1024;

export class ExtractionBudget {
  private total = 0;
  private readonly member = limit('archiveMemberBytes');
  private readonly all = limit('archiveTotalBytes');
  private readonly ratio = limit('archiveRatio');

  constructor(
    readonly archive: string,
    readonly packedBytes: number,
  ) {}

  /** Counts `n` more bytes of `name` (whose count so far, these included, is `memberBytes`); throws past a limit. */
  add(name: string, n: number, memberBytes: number): void {
    this.total += n;
    if (memberBytes > this.member)
      this.refuse(name, `member ${name} unpacks to more than ${formatBytes(this.member)}`, 'archiveMemberBytes');
    if (this.total > this.all)
      this.refuse(name, `it unpacks to more than ${formatBytes(this.all)} in all (at ${name})`, 'archiveTotalBytes');
    if (this.total > RATIO_FLOOR && this.total > this.ratio * this.packedBytes) {
      this.refuse(
        name,
        `it unpacks to more than ${this.ratio} times its packed size of ${formatBytes(this.packedBytes)} ` +
          `(at member ${name}), like a decompression bomb`,
        'archiveRatio',
      );
    }
  }

  private refuse(_name: string, why: string, which: keyof typeof LIMITS): never {
    throw new InputLimitError(
      'PIPE_ARCHIVE_TOO_LARGE',
      `Refusing to unpack ${this.archive}: ${why}. Nothing was kept. ` +
        `If the archive is genuine, raise ${LIMITS[which].env}.`,
    );
  }
}

/** Clears setuid, setgid and sticky bits on everything below `dir` (archives may carry mode 4755). */
export async function stripSpecialModes(dir: string): Promise<void> {
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isSymbolicLink()) continue;
    const p = path.join(e.parentPath, e.name);
    const { mode } = await stat(p);
    if (mode & 0o7000) await chmod(p, mode & 0o777);
  }
}
