// Reading a whole file into memory only when it is a regular file under a size limit: /dev/zero, a
// FIFO or a 50 GB file would otherwise grow the process without bound (or block forever).
import fs from 'node:fs/promises';
import { formatBytes, InputLimitError, limit, LIMITS, type LimitName } from './limits.js';

export interface BoundedReadOptions {
  /** Which limit applies (its env var is named in the message). */
  limit: LimitName;
  /** What the file is, for messages: "image", "metrics file", "pipeline file". */
  what: string;
  /** Error code for a missing/unreadable file. */
  code?: string;
  exitCode?: 1 | 2;
}

/** The file's bytes; a UserError naming the file when it is not a regular file or is over the limit. */
export async function readBounded(file: string, o: BoundedReadOptions): Promise<Buffer> {
  const max = limit(o.limit);
  const code = o.code ?? 'PIPE_FILE_UNREADABLE';
  // open first, then fstat the handle: the checked file is the one read (no swap between the two).
  // O_NONBLOCK keeps a FIFO from blocking the open; it is refused as not a regular file below.
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const c = (err as NodeJS.ErrnoException).code;
    const why =
      c === 'ENOENT' ? 'ENOENT (no such file)' : c === 'EISDIR' ? 'EISDIR (it is a directory)' : (c ?? String(err));
    throw new InputLimitError(code, `Cannot read the ${o.what} ${file}: ${why}.`, o.exitCode ?? 1);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      const kind = st.isDirectory()
        ? 'a directory'
        : st.isFIFO()
          ? 'a pipe (FIFO)'
          : st.isCharacterDevice() || st.isBlockDevice()
            ? 'a device'
            : 'not a regular file';
      throw new InputLimitError(
        'PIPE_NOT_A_REGULAR_FILE',
        `Refusing to read the ${o.what} ${file}: it is ${kind}, not a regular file.`,
        o.exitCode ?? 1,
      );
    }
    if (st.size > max) {
      throw new InputLimitError(
        'PIPE_FILE_TOO_LARGE',
        `The ${o.what} ${file} is ${formatBytes(st.size)}, ` +
          `over the limit of ${formatBytes(max)} (${LIMITS[o.limit].what}). ` +
          `If the file is genuine, raise the limit with ${LIMITS[o.limit].env}=<bytes>.`,
        o.exitCode ?? 1,
      );
    }
    return await readAtMost(fh, max, () => tooLarge(file, o, max));
  } finally {
    await fh.close();
  }
}

function tooLarge(file: string, o: BoundedReadOptions, max: number): InputLimitError {
  return new InputLimitError(
    'PIPE_FILE_TOO_LARGE',
    `The ${o.what} ${file} is over the limit of ${formatBytes(max)} (${LIMITS[o.limit].what}). ` +
      `If the file is genuine, raise the limit with ${LIMITS[o.limit].env}=<bytes>.`,
    o.exitCode ?? 1,
  );
}

/** Reads to the end, but never more than `max` bytes (a file may grow, or report size 0 like /proc files). */
async function readAtMost(fh: fs.FileHandle, max: number, over: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, max + 1 - total));
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > max) throw over();
    chunks.push(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
  }
  return Buffer.concat(chunks, total);
}
