// How the CLI ends on an error: a user or usage error prints as one paragraph (plus its hint) with exit code 1
// or 2; anything else is a bug and keeps its stack (exit 70).
import { formatPipeError, isUserFacing } from '../core/errors.js';
import { terminalSafe } from '../core/user-text.js';

export function printError(err: unknown): number {
  if (isUserFacing(err)) {
    // The message may quote user text (keys, names, file bytes): escape control bytes, cap line length.
    process.stderr.write(`pipe: ${terminalSafe(formatPipeError(err))}\n`);
    return err.exitCode;
  }
  process.stderr.write(`pipe: internal error (please report it):\n${err instanceof Error ? err.stack : String(err)}\n`);
  return 70;
}
