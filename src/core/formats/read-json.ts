// One way to read a JSON file pipe wrote: read, parse, check its shape and format version, and on any failure
// a FileFormatError that names the file and what it should have been.
import { readBounded } from '../bounded-read.js';
import { PipeError } from '../errors.js';
import { InputLimitError } from '../limits.js';

/**
 * A file that cannot be read as what it should be (missing, not JSON, another format or version, a field
 * missing or of the wrong type). Exit 2: the data is damaged or incomplete, not the user's command.
 */
export class FileFormatError extends PipeError {
  constructor(
    readonly file: string,
    what: string,
    readonly problem: string,
    hint?: string,
    /** The field at fault, as a path (`stages.train.status`), when one is. */
    readonly field?: string,
  ) {
    const message =
      field === undefined
        ? `Cannot read ${file} as ${what}: ${problem}.`
        : `${file}: ${field}: ${problem} (reading it as ${what}).`;
    super('PIPE_FILE_FORMAT', message, { exitClass: 'usage', hint });
    this.name = 'FileFormatError';
  }
}

export interface JsonFormat {
  /** What the file should be, e.g. `a run's metrics.json (pipe.run/1)`. */
  what: string;
  /** What to do about it, printed under the message. */
  hint?: string;
  reviver?: (key: string, value: unknown) => unknown;
  /** The problem with a parsed value (a field at fault, or the whole file), or undefined when it is fine. */
  check(value: unknown): string | FieldProblem | undefined;
}

/** A field of a JSON file that is missing or of the wrong type. */
export interface FieldProblem {
  /** Path of the field, e.g. `stages.train.status`. */
  field: string;
  problem: string;
}

/** What readJsonFile says about a file that is not there (callers that skip missing files test for it). */
export const DOES_NOT_EXIST = 'it does not exist';

const UNREADABLE = 'PIPE_FILE_FORMAT_UNREADABLE';

/**
 * Reads, parses and checks one JSON file. Size-capped and regular files only (a FIFO or /dev/zero is refused,
 * exit 2); a missing, unreadable, torn or misshapen file is a FileFormatError (exit 2) naming the file.
 */
export async function readJsonFile<T>(file: string, format: JsonFormat): Promise<T> {
  let text: string;
  try {
    const bytes = await readBounded(file, { limit: 'jsonBytes', what: 'file', code: UNREADABLE, exitCode: 2 });
    text = bytes.toString('utf8');
  } catch (err) {
    if (!(err instanceof InputLimitError) || err.code !== UNREADABLE) throw err;
    // readBounded says why the open failed after the file name ("...: ENOENT (no such file).").
    const why = /ENOENT/.test(err.message) ? DOES_NOT_EXIST : err.message.slice(err.message.lastIndexOf(': ') + 2);
    throw new FileFormatError(file, format.what, why.replace(/\.$/, ''), format.hint);
  }
  let value: unknown;
  try {
    value = JSON.parse(text, format.reviver);
  } catch (err) {
    const problem = `it is not JSON (not valid JSON, it may be truncated: ${(err as Error).message})`;
    throw new FileFormatError(file, format.what, problem, format.hint);
  }
  const problem = format.check(value);
  if (typeof problem === 'string') throw new FileFormatError(file, format.what, problem, format.hint);
  if (problem) throw new FileFormatError(file, format.what, problem.problem, format.hint, problem.field);
  return value as T;
}

/** The type of a JSON value in words, for "expected X, got Y" messages. */
export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
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
