// The coordinator side of the queue executor: each ready stage becomes one BullMQ job whose id is
// the stage fingerprint, so the same stage is queued once however many coordinators (or restarts of
// one) ask for it; every asker waits on that one job.
import { hostname } from 'node:os';
import { Job, Queue, QueueEvents } from 'bullmq';
import type { ArtefactStore, Executor, ExecutorHooks, StageJob, StageOutcome } from '../types.js';
import { DEFAULT_QUEUE_NAME, DEFAULT_RETRIES } from './defaults.js';
import type { QueueJobResult, QueueProgress } from './job-data.js';
import { probeRedis } from './connect.js';
import { parseRedisUrl } from './redis-url.js';

export interface QueueExecutorOptions {
  /** redis://[:password@]host[:port][/db] or rediss://... */
  redis: string;
  queue?: string;
  /** Extra attempts after the first failure (BullMQ `attempts` = retries + 1). */
  retries?: number;
  /** First retry delay; doubles on each further attempt. */
  backoffMs?: number;
  /**
   * The shared artefact store as this machine sees it. A published entry counts as done without
   * asking the queue, and a job that Redis remembers as completed but whose entry is gone (garbage
   * collected, other cache) is queued again instead of being trusted.
   */
  store?: ArtefactStore;
  /** How long Redis keeps finished jobs (so a restarted coordinator can re-attach). */
  keepFinishedSeconds?: number;
  /**
   * How often a waiting coordinator checks its job behind the events (ms): the entry already in the
   * store (an event missed while disconnected), or the job gone from Redis (a restart without
   * persistence, someone cleaning the queue) and queued again.
   */
  checkIntervalMs?: number;
}

export { DEFAULT_RETRIES };

export function createQueueExecutor(opts: QueueExecutorOptions): Executor {
  const connection = parseRedisUrl(opts.redis);
  const name = opts.queue ?? DEFAULT_QUEUE_NAME;
  const retries = opts.retries ?? DEFAULT_RETRIES;
  const keep = opts.keepFinishedSeconds ?? 7 * 24 * 3600;
  const listeners = new Map<string, (p: QueueProgress) => void>();
  let clients: { queue: Queue; events: QueueEvents } | undefined;
  // Connects at once, after a probe that fails fast (see connect.ts); run() awaits it.
  const ready = (async () => {
    await probeRedis(opts.redis);
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection });
    clients = { queue, events };
    // Errors after start surface through the awaited calls; without listeners every reconnect
    // attempt would also be an unhandled 'error' event.
    queue.on('error', () => {});
    events.on('error', () => {});
    events.on('progress', ({ jobId, data }) => {
      if (typeof data === 'object' && data !== null) listeners.get(jobId)?.(data as QueueProgress);
    });
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    return clients;
  })();
  ready.catch(() => undefined); // reported by every run() that awaits it

  async function enqueue(queue: Queue, job: StageJob): Promise<Job> {
    await queue.add(job.kind, job, {
      jobId: job.fingerprint,
      attempts: retries + 1,
      backoff: { type: 'exponential', delay: opts.backoffMs ?? 5000 },
      removeOnComplete: { age: keep },
      removeOnFail: { age: keep },
    });
    // `add` with an existing id is a no-op that returns our data, not the stored job: read it back.
    const stored = await Job.fromId(queue, job.fingerprint);
    if (!stored) throw new Error(`job ${job.fingerprint} vanished right after it was queued`);
    return stored;
  }

  async function attach(queue: Queue, job: StageJob): Promise<Job> {
    let stored = await enqueue(queue, job);
    const state = await stored.getState();
    const stale = job.force || (opts.store !== undefined && !(await opts.store.lookup(job.fingerprint)));
    if (state === 'completed' && stale) {
      // --force, or Redis remembers a result whose cache entry is gone: run it again.
      // Already removed (another coordinator, Redis retention): enqueueing again is all that matters.
      await stored.remove().catch(() => undefined);
      stored = await enqueue(queue, job);
    } else if (state === 'failed') {
      // A failure left over from an earlier run: this run asks for the stage again.
      await stored.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).catch(() => {
        // Another coordinator retried it first; waiting on it is all that is left to do.
      });
    }
    return stored;
  }

  /** Resolves when the job is found finished behind the events' back; never resolves otherwise. */
  async function watchJob(queue: Queue, job: StageJob, stop: AbortSignal): Promise<QueueJobResult | null> {
    const every = opts.checkIntervalMs ?? 15_000;
    while (!stop.aborted) {
      await sleep(every, stop);
      if (stop.aborted) break;
      try {
        if (opts.store && (await opts.store.lookup(job.fingerprint))) {
          const done = await Job.fromId(queue, job.fingerprint).catch(() => undefined);
          return (done?.returnvalue as QueueJobResult | undefined) ?? null;
        }
        const current = await Job.fromId(queue, job.fingerprint);
        if (!current) {
          await enqueue(queue, job);
        } else if ((await current.getState()) === 'failed') {
          throw new Error(current.failedReason || 'the stage failed');
        }
      } catch (err) {
        if (isConnectionError(err)) continue; // Redis away for a moment: BullMQ reconnects
        throw err;
      }
    }
    return new Promise<never>(() => {});
  }

  return {
    name: 'queue',
    async run(job: StageJob, hooks: ExecutorHooks): Promise<StageOutcome> {
      const started = Date.now();
      const outcome = (o: Partial<StageOutcome>): StageOutcome => ({
        stageId: job.stageId,
        fingerprint: job.fingerprint,
        status: 'done',
        seconds: (Date.now() - started) / 1000,
        ...o,
      });
      if (!job.force && opts.store && (await opts.store.lookup(job.fingerprint))) {
        return outcome({ worker: 'cache' });
      }
      if (hooks.signal.aborted) return outcome({ status: 'failed', error: 'cancelled by the coordinator before it was queued' });
      const onProgress = (p: QueueProgress): void => {
        const { worker, ...progress } = p;
        hooks.onProgress(job.stageId, {
          ...progress,
          worker,
          message: progress.message ? `${progress.message} [${worker}]` : `[${worker}]`,
        });
      };
      listeners.set(job.fingerprint, onProgress);
      let abort: (() => void) | undefined;
      try {
        const { queue, events } = await ready;
        const stored = await attach(queue, job);
        const aborted = new Promise<never>((_, reject) => {
          abort = () => reject(new Error('cancelled by the coordinator (the queued job keeps running)'));
          if (hooks.signal.aborted) abort();
          hooks.signal.addEventListener('abort', abort, { once: true });
        });
        const watch = new AbortController();
        const result = (await Promise.race([
          stored.waitUntilFinished(events),
          aborted,
          watchJob(queue, job, watch.signal),
        ]).finally(() => watch.abort())) as QueueJobResult | null;
        return outcome({
          seconds: result?.seconds ?? (Date.now() - started) / 1000,
          worker: result?.worker,
          logFile: result?.logFile,
        });
      } catch (err) {
        return outcome({ status: 'failed', error: errorText(err) });
      } finally {
        if (abort) hooks.signal.removeEventListener('abort', abort);
        listeners.delete(job.fingerprint);
      }
    },
    async close(): Promise<void> {
      // Clients that never connected have nothing to close; run() already reported why.
      await ready.catch(() => undefined);
      if (clients) await Promise.allSettled([clients.events.close(), clients.queue.close()]);
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function isConnectionError(err: unknown): boolean {
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : '';
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|LOADING/.test(text);
}

function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^Error: /, '');
}

/** Who this process is, as shown next to progress lines. */
export function processId(): string {
  return `${hostname()}:${process.pid}`;
}
