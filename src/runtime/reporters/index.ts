// Picks the progress display: listr2 on an interactive terminal, plain lines otherwise.
import type { Reporter } from '../events.js';

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'none';

export async function createReporter(mode: ProgressMode = 'auto'): Promise<Reporter> {
  const interactive = process.stdout.isTTY && !process.env.CI;
  if (mode === 'none') {
    return {
      event() {
        // --progress none: the run's outcome is in its summary and run.json.
      },
    };
  }
  if (mode === 'json') return new (await import('./jsonl.js')).JsonLinesReporter();
  if (mode === 'tty' || (mode === 'auto' && interactive)) return new (await import('./listr.js')).ListrReporter();
  return new (await import('./plain.js')).PlainReporter();
}
