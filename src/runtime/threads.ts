// How many compute threads each stage process gets. Threads change speed, never results, so the setting lives in
// the stage environment (like the backend), never in a fingerprint.
import { availableParallelism } from 'node:os';
import { UserError } from '../core/errors.js';

export type ThreadsSource = 'flag' | 'env' | 'pipeline' | 'default';

export interface ThreadsSetting {
  threads: number;
  source: ThreadsSource;
}

export interface ThreadsInputs {
  /** --threads. */
  flag?: number;
  /** PIPE_THREADS (a whole number >= 1 or "auto"). */
  env?: string;
  /** The pipeline's backend_options.threads. */
  pipeline?: number | 'auto';
  /** Stage processes that may run at once (--jobs, or a worker's --concurrency). */
  jobs?: number;
  /** Cores of this machine (default: os.availableParallelism()). */
  cores?: number;
}

/** Threads for one stage: --threads, else PIPE_THREADS, else the pipeline's key, else cores / jobs (at least 1). */
export function resolveThreads(o: ThreadsInputs): ThreadsSetting {
  if (o.flag !== undefined) return { threads: o.flag, source: 'flag' };
  const fromEnv = parseThreadsEnv(o.env);
  if (fromEnv !== undefined) return { threads: fromEnv, source: 'env' };
  if (typeof o.pipeline === 'number') return { threads: o.pipeline, source: 'pipeline' };
  const cores = o.cores ?? availableParallelism();
  const jobs = Math.max(1, Math.min(o.jobs ?? 1, cores));
  // Whole cores per stage, so `jobs` stages side by side never ask for more threads than there are cores.
  return { threads: Math.max(1, Math.floor(cores / jobs)), source: 'default' };
}

function parseThreadsEnv(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '' || value.trim() === 'auto') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(
      'PIPE_BAD_THREADS',
      `PIPE_THREADS must be a whole number >= 1 or "auto"; got "${value}". Unset it to use the machine's cores divided by --jobs.`,
      2,
    );
  }
  return n;
}
