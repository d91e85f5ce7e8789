// Defaults shared by the queue executor, the worker and their CLI help (no BullMQ import, so the
// CLI can show them without loading the queue).

export const DEFAULT_QUEUE_NAME = 'pipe-stages';

export const DEFAULT_RETRIES = 2;

export const WORKER_DEFAULTS = {
  /** A dead worker's job goes to another worker after this long without a lock renewal (ms). */
  lockDurationMs: 60_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 3,
} as const;
