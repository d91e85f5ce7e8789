// Resource limits on untrusted input, in one place so docs/limits-and-safety.md can list them. Each
// can be raised through an environment variable (a whole number; bytes or pixels as named).
import { UserError } from './errors.js';

/** A limit or a refused input: a user error (exit 1, or 2 for a bad limit value) naming the file. */
export class InputLimitError extends UserError {
  constructor(code: string, message: string, exitCode: 1 | 2 = 1) {
    super(code, message, exitCode);
    this.name = 'InputLimitError';
  }
}

export interface LimitSpec {
  env: string;
  default: number;
  what: string;
}

export const LIMITS = {
  /** Pixels per decoded image, checked from the header before decoding. */
  imagePixels: { env: 'PIPE_MAX_PIXELS', default: 64 * 1024 * 1024, what: 'pixels per image' },
  /** Bytes of one image file read into memory. */
  imageBytes: { env: 'PIPE_MAX_IMAGE_BYTES', default: 256 * 1024 * 1024, what: 'bytes per image file' },
  /** Bytes of a metrics.json / run.json read into memory. */
  jsonBytes: { env: 'PIPE_MAX_JSON_BYTES', default: 512 * 1024 * 1024, what: 'bytes per metrics file' },
  /** Bytes of a pipeline file. */
  pipelineBytes: { env: 'PIPE_MAX_PIPELINE_BYTES', default: 1024 * 1024, what: 'bytes per pipeline file' },
  /** Bytes written by one archive member. */
  archiveMemberBytes: { env: 'PIPE_MAX_ARCHIVE_MEMBER_BYTES', default: 1024 ** 3, what: 'bytes per archive member' },
  /** Bytes written by one archive in all. */
  archiveTotalBytes: { env: 'PIPE_MAX_ARCHIVE_BYTES', default: 16 * 1024 ** 3, what: 'bytes unpacked per archive' },
  /** Unpacked / packed size of an archive (a zip bomb compresses zeros ~1000:1). */
  archiveRatio: { env: 'PIPE_MAX_ARCHIVE_RATIO', default: 200, what: 'unpacked-to-packed ratio' },
  /** Sweep points (variants x grid x zip) before any is built. */
  sweepPoints: { env: 'PIPE_MAX_SWEEP_POINTS', default: 10_000, what: 'sweep points' },
} satisfies Record<string, LimitSpec>;

export type LimitName = keyof typeof LIMITS;

/** The limit in force: the environment variable when set to a whole number >= 1, else the default. */
export function limit(name: LimitName, env: NodeJS.ProcessEnv = process.env): number {
  const spec = LIMITS[name];
  const raw = env[spec.env];
  if (raw === undefined || raw === '') return spec.default;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InputLimitError(
      'PIPE_BAD_LIMIT',
      `${spec.env} must be a whole number >= 1 (${spec.what}); got ${JSON.stringify(raw.slice(0, 40))}.`,
      2,
    );
  }
  return n;
}

/** `1.5 GiB`, `64 MiB`, `12 KiB` for messages. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}
