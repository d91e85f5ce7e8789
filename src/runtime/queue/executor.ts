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
  const c = connect(opts);
  return {
    name: 'queue',
    run: (job, hooks) => runJob(c, job, hooks),
    async close(): Promise<void> {
      // Clients that never connected have nothing to close; run() already reported why.
      await c.ready.catch(() => undefined);
      if (c.clients) await Promise.allSettled([c.clients.events.close(), c.clients.queue.close()]);
    },
  };
}

interface Clients {
  queue: Queue;
  events: QueueEvents;
}

/** One coordinator's connection to the queue, and the progress listeners of the jobs it waits on. */
interface Coordinator {
  opts: QueueExecutorOptions;
  retries: number;
  /** Seconds Redis keeps finished jobs. */
  keep: number;
  listeners: Map<string, (p: QueueProgress) => void>;
  ready: Promise<Clients>;
  clients?: Clients;
}

function connect(opts: QueueExecutorOptions): Coordinator {
  // Parsed before anything connects: a bad URL is a usage error of `pipe run`, not a failed stage.
  const connection = parseRedisUrl(opts.redis);
  const listeners = new Map<string, (p: QueueProgress) => void>();
  const c: Coordinator = {
    opts,
    retries: opts.retries ?? DEFAULT_RETRIES,
    keep: opts.keepFinishedSeconds ?? 7 * 24 * 3600,
    listeners,
    ready: openClients(opts, connection, listeners, (clients) => (c.clients = clients)),
  };
  c.ready.catch(() => undefined); // reported by every run() that awaits it
  return c;
}

/** Connects at once, after a probe that fails fast (see connect.ts); run() awaits the result. */
async function openClients(
  opts: QueueExecutorOptions,
  connection: ReturnType<typeof parseRedisUrl>,
  listeners: Coordinator['listeners'],
  opened: (clients: Clients) => void,
): Promise<Clients> {
  await probeRedis(opts.redis);
  const name = opts.queue ?? DEFAULT_QUEUE_NAME;
  const clients = { queue: new Queue(name, { connection }), events: new QueueEvents(name, { connection }) };
  opened(clients);
  // Errors after start surface through the awaited calls; without listeners every reconnect
  // attempt would also be an unhandled 'error' event.
  clients.queue.on('error', () => undefined);
  clients.events.on('error', () => undefined);
  clients.events.on('progress', ({ jobId, data }) => {
    if (typeof data === 'object' && data !== null) listeners.get(jobId)?.(data as QueueProgress);
  });
  await Promise.all([clients.queue.waitUntilReady(), clients.events.waitUntilReady()]);
  return clients;
}

async function runJob(c: Coordinator, job: StageJob, hooks: ExecutorHooks): Promise<StageOutcome> {
  const started = Date.now();
  const outcome = (o: Partial<StageOutcome>): StageOutcome => ({
    stageId: job.stageId,
    fingerprint: job.fingerprint,
    status: 'done',
    seconds: (Date.now() - started) / 1000,
    ...o,
  });
  if (!job.force && c.opts.store && (await c.opts.store.lookup(job.fingerprint))) {
    return outcome({ worker: 'cache' });
  }
  if (hooks.signal.aborted)
    return outcome({ status: 'failed', error: 'cancelled by the coordinator before it was queued' });
  c.listeners.set(job.fingerprint, (p) => forwardProgress(job, hooks, p));
  const cancel = cancellation(hooks.signal);
  try {
    const { queue, events } = await c.ready;
    const stored = await attach(c, queue, job);
    const watch = new AbortController();
    const result = (await Promise.race([
      stored.waitUntilFinished(events),
      cancel.aborted,
      watchJob(c, queue, job, watch.signal),
    ]).finally(() => watch.abort())) as QueueJobResult | null;
    return outcome({
      seconds: result?.seconds ?? (Date.now() - started) / 1000,
      worker: result?.worker,
      logFile: result?.logFile,
    });
  } catch (err) {
    return outcome({ status: 'failed', error: errorText(err) });
  } finally {
    cancel.dispose();
    c.listeners.delete(job.fingerprint);
  }
}

/** A worker's progress, shown with the worker's name. */
function forwardProgress(job: StageJob, hooks: ExecutorHooks, p: QueueProgress): void {
  const { worker, ...progress } = p;
  hooks.onProgress(job.stageId, {
    ...progress,
    worker,
    message: progress.message ? `${progress.message} [${worker}]` : `[${worker}]`,
  });
}

/** Rejects when the coordinator stops waiting; the queued job itself keeps running on its worker. */
function cancellation(signal: AbortSignal): { aborted: Promise<never>; dispose(): void } {
  let abort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    abort = () => reject(new Error('cancelled by the coordinator (the queued job keeps running)'));
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
  });
  // Only a race ever awaits it; a rejection after the race is settled must not be unhandled.
  aborted.catch(() => undefined);
  return { aborted, dispose: () => abort && signal.removeEventListener('abort', abort) };
}

async function enqueue(c: Coordinator, queue: Queue, job: StageJob): Promise<Job> {
  await queue.add(job.kind, job, {
    jobId: job.fingerprint,
    attempts: c.retries + 1,
    backoff: { type: 'exponential', delay: c.opts.backoffMs ?? 5000 },
    removeOnComplete: { age: c.keep },
    removeOnFail: { age: c.keep },
  });
  // `add` with an existing id is a no-op that returns our data, not the stored job: read it back.
  const stored = await Job.fromId(queue, job.fingerprint);
  if (!stored) throw new Error(`job ${job.fingerprint} vanished right after it was queued`);
  return stored;
}

async function attach(c: Coordinator, queue: Queue, job: StageJob): Promise<Job> {
  let stored = await enqueue(c, queue, job);
  const state = await stored.getState();
  const stale = job.force || (c.opts.store !== undefined && !(await c.opts.store.lookup(job.fingerprint)));
  if (state === 'completed' && stale) {
    // --force, or Redis remembers a result whose cache entry is gone: run it again.
    // Already removed (another coordinator, Redis retention): enqueueing again is all that matters.
    await stored.remove().catch(() => undefined);
    stored = await enqueue(c, queue, job);
  } else if (state === 'failed') {
    // A failure left over from an earlier run: this run asks for the stage again.
    await stored.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }).catch(() => {
      // Another coordinator retried it first; waiting on it is all that is left to do.
    });
  }
  return stored;
}

/** Resolves when the job is found finished behind the events' back; never resolves otherwise. */
async function watchJob(
  c: Coordinator,
  queue: Queue,
  job: StageJob,
  stop: AbortSignal,
): Promise<QueueJobResult | null> {
  const every = c.opts.checkIntervalMs ?? 15_000;
  while (!stop.aborted) {
    await sleep(every, stop);
    if (stop.aborted) break;
    try {
      if (c.opts.store && (await c.opts.store.lookup(job.fingerprint))) return await publishedResult(queue, job, stop);
      const current = await Job.fromId(queue, job.fingerprint);
      if (!current) {
        await enqueue(c, queue, job);
      } else if ((await current.getState()) === 'failed') {
        throw new Error(current.failedReason || 'the stage failed');
      }
    } catch (err) {
      if (isConnectionError(err)) continue; // Redis away for a moment: BullMQ reconnects
      throw err;
    }
  }
  return new Promise<never>(() => undefined);
}

/** How long a coordinator that finds a stage published waits for its still active job to finish (ms). */
const PUBLISHED_GRACE_MS = 5_000;

/**
 * The result of a job whose entry is published, which is what counts. The job's record in Redis (worker, timings) may
 * be gone, or the job may still be active: either its worker published a moment ago and is about to return (its
 * completion event then wins runJob's race, worker name included), or another process published first and this
 * job's run is redundant, which is not waited for.
 */
async function publishedResult(queue: Queue, job: StageJob, stop: AbortSignal): Promise<QueueJobResult | null> {
  const read = () => Job.fromId(queue, job.fingerprint).catch(() => undefined);
  let record = await read();
  if (record && (await record.getState().catch(() => undefined)) === 'active') {
    await sleep(PUBLISHED_GRACE_MS, stop);
    record = await read();
  }
  return (record?.returnvalue as QueueJobResult | undefined) ?? null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
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
