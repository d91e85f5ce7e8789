// User errors print as one paragraph with exit code 1; anything else is a bug and keeps its stack.
import { terminalSafe } from '../util/user-text.js';

/** An error caused by the user's input (file, flag, data); carries a stable code. */
export class UserError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(code: string, message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

export function isUserError(err: unknown): err is { message: string; code: string; exitCode?: number } {
  return (
    err instanceof Error &&
    typeof (err as { code?: unknown }).code === 'string' &&
    String((err as unknown as { code: string }).code).startsWith('PIPE_')
  );
}

export function printUserError(err: unknown): number {
  if (isUserError(err)) {
    // The message may quote user text (keys, names, file bytes): escape control bytes, cap line length.
    process.stderr.write(`pipe: ${terminalSafe(err.message)}\n`);
    return err.exitCode ?? 1;
  }
  process.stderr.write(`pipe: internal error (please report it):\n${err instanceof Error ? err.stack : String(err)}\n`);
  return 70;
}
