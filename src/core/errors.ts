// One hierarchy for every error pipe explains to its user. A PipeError carries a stable code (PIPE_*), an exit
// class and an optional hint. The CLI prints a user or usage error as its message alone (no stack trace); an
// internal error is a bug and keeps its stack. Code tells them apart with instanceof, never by the code's text.

/** user: the input is wrong (exit 1); usage: bad flags or incomplete data (exit 2); internal: a bug (exit 70). */
export type ExitClass = 'user' | 'usage' | 'internal';

const EXIT_CODES: Readonly<Record<ExitClass, number>> = { user: 1, usage: 2, internal: 70 };

export interface PipeErrorOptions {
  exitClass?: ExitClass;
  /** What to do next, printed on its own line under the message. */
  hint?: string;
  cause?: unknown;
}

export class PipeError extends Error {
  readonly code: string;
  readonly exitClass: ExitClass;
  readonly hint: string | undefined;
  constructor(code: string, message: string, options: PipeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PipeError';
    this.code = code;
    this.exitClass = options.exitClass ?? 'user';
    this.hint = options.hint;
  }

  /** The process exit code this error ends the CLI with. */
  get exitCode(): number {
    return EXIT_CODES[this.exitClass];
  }
}

/** A PipeError the user can act on (user or usage class): its message is the whole story, no stack trace. */
export function isUserFacing(err: unknown): err is PipeError {
  return err instanceof PipeError && err.exitClass !== 'internal';
}

/** The one paragraph (plus hint) the CLI prints for a user-facing error. */
export function formatPipeError(err: PipeError): string {
  return err.hint ? `${err.message}\n${err.hint}` : err.message;
}

/** An error caused by the user's input (file, flag, data). exitCode 2 marks usage / incomplete data. */
export class UserError extends PipeError {
  constructor(code: string, message: string, exitCode: 1 | 2 = 1, hint?: string) {
    super(code, message, { exitClass: exitCode === 2 ? 'usage' : 'user', hint });
    this.name = 'UserError';
  }
}

/** A user-facing failure inside a stage (bad data, missing weights): printed as one paragraph, no stack trace. */
export class StageUserError extends PipeError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'StageUserError';
  }
}
