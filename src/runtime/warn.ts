// Failures a run can go on without (an index, a digest cache, a run.json update) are still the user's to hear
// about: one line on stderr, never silence.
export function warn(what: string, err: unknown): void {
  process.stderr.write(`pipe: warning: ${what}: ${err instanceof Error ? err.message : String(err)}\n`);
}
