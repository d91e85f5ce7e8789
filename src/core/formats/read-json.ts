// One way to read a JSON file pipe wrote: read, parse, check its shape and format version, and on any failure
// a FileFormatError that names the file and what it should have been.
import { readFile } from 'node:fs/promises';
import { PipeError } from '../errors.js';

/** A file that cannot be read as what it should be (missing, not JSON, another format or version). */
export class FileFormatError extends PipeError {
  constructor(
    readonly file: string,
    what: string,
    problem: string,
    hint?: string,
  ) {
    super('PIPE_FILE_FORMAT', `Cannot read ${file} as ${what}: ${problem}.`, { exitClass: 'usage', hint });
    this.name = 'FileFormatError';
  }
}

export interface JsonFormat {
  /** What the file should be, e.g. `a run's metrics.json (pipe.run/1)`. */
  what: string;
  /** What to do about it, printed under the message. */
  hint?: string;
  reviver?: (key: string, value: unknown) => unknown;
  /** The problem with a parsed value, or undefined when it is fine. */
  check(value: unknown): string | undefined;
}

export async function readJsonFile<T>(file: string, format: JsonFormat): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new FileFormatError(
      file,
      format.what,
      code === 'ENOENT' ? 'it does not exist' : (err as Error).message,
      format.hint,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text, format.reviver);
  } catch (err) {
    throw new FileFormatError(file, format.what, `it is not JSON (${(err as Error).message})`, format.hint);
  }
  const problem = format.check(value);
  if (problem) throw new FileFormatError(file, format.what, problem, format.hint);
  return value as T;
}

/** Checks the `format` field of a versioned file ("pipe.run/1") against the formats this build reads. */
export function checkFormatField(value: unknown, accepted: readonly string[]): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'it is not a JSON object';
  const format = (value as { format?: unknown }).format;
  if (accepted.includes(format as string)) return undefined;
  return format === undefined
    ? 'it has no "format" field'
    : `its format is ${JSON.stringify(format)}, not ${accepted.join(' or ')}`;
}
