// The worker side of the queue executor: takes stage jobs from BullMQ and runs each in a child
// process (a crashing or out-of-memory stage takes down the child, not the worker, and the worker's
// event loop stays free to renew the job's lock). Outputs go to the shared artefact store, so a
// stage finished here is a cache hit for every machine that mounts the same --cache-dir.
import path from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { BackendName, StageEnv } from '../../stages/types.js';
import { createLocalExecutor } from '../executors/local.js';
import { DirectoryStore } from '../store.js';
import type { StageJob } from '../types.js';
import { DEFAULT_QUEUE_NAME, WORKER_DEFAULTS } from './defaults.js';
import { parseStageJob, type QueueJobResult, type QueueProgress } from './job-data.js';
import { processId } from './executor.js';
import { probeRedis } from './connect.js';
import { parseRedisUrl, redactRedisUrl } from './redis-url.js';

export interface QueueWorkerOptions {
  redis: string;
  queue?: string;
  /** Stages run side by side on this machine (each in its own process). */
  concurrency?: number;
  /** The shared artefact store directory (the same on every machine). */
  cacheDir: string;
  /** Settings of this machine that replace the coordinator's (they never change a fingerprint). */
  backend?: BackendName;
  dataDir?: string;
  weightsDir?: string;
  downloadDir?: string;
  /** This machine's copy of the pipeline's folder, when it is not at the coordinator's path. */
  projectDir?: string;
  /** A job whose worker stops renewing its lock for this long is given to another worker. */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs. */
  stalledIntervalMs?: number;
  /** How many times a job may stall (its worker died) before it counts as failed. */
  maxStalledCount?: number;
  /** Name shown in progress lines and stage records; defaults to hostname:pid. */
  name?: string;
  log?: (line: string) => void;
}

export { WORKER_DEFAULTS };

export interface QueueWorker {
  readonly id: string;
  /** Stop taking jobs and wait for the running ones. */
  close(): Promise<void>;
  /**
   * Kill the running stages and leave their jobs locked: the caller exits next, the locks lapse and
   * the jobs stall over to another worker (moving them to failed would spend an attempt).
   */
  abort(): void;
}

export async function startQueueWorker(opts: QueueWorkerOptions): Promise<QueueWorker> {
  const id = opts.name ?? processId();
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const connection = parseRedisUrl(opts.redis);
  const queueName = opts.queue ?? DEFAULT_QUEUE_NAME;
  const running = new Set<AbortController>();
  // The local executor already runs one stage in a child process against a cache directory;
  // a worker is that plus a queue in front.
  const local = createLocalExecutor({ cacheDir: opts.cacheDir });
  const store = new DirectoryStore(opts.cacheDir, { warn: (m) => log(`[${id}] warning: ${m}`) });

  const processor = async (job: Job): Promise<QueueJobResult> => {
    let stage: StageJob;
    try {
      stage = localise(parseStageJob(job.data), opts);
    } catch (err) {
      // Retrying cannot fix a malformed payload.
      throw new UnrecoverableError((err as Error).message);
    }
    const started = Date.now();
    const attempt = `attempt ${job.attemptsStarted}${job.stalledCounter ? `, after ${job.stalledCounter} stall(s)` : ''}`;
    log(`[${id}] start ${stage.stageId} (${stage.fingerprint.slice(0, 12)}, ${attempt})`);
    // Checked here rather than in the stage process: it saves a process start for a stage another
    // worker already published, and a missing input on a queue worker almost always means this
    // machine's --cache-dir is not the coordinator's shared storage.
    if (!stage.force && (await store.lookup(stage.fingerprint))) {
      log(`[${id}] cached ${stage.stageId} (published by another process)`);
      return { worker: id, seconds: (Date.now() - started) / 1000, cached: true };
    }
    for (const [name, fp] of Object.entries(stage.inputs)) {
      if (!(await store.lookup(fp))) {
        const message =
          `${stage.stageId}: input "${name}" (${fp.slice(0, 12)}) is not in the cache ${opts.cacheDir} on worker ${id}. ` +
          `Every worker needs --cache-dir on the same shared storage as the coordinator's --cache-dir.`;
        log(`[${id}] failed ${stage.stageId}: ${message}`);
        throw new Error(message);
      }
    }
    const controller = new AbortController();
    running.add(controller);
    try {
      const outcome = await local.run(stage, {
        signal: controller.signal,
        onProgress: (_stageId, p) => {
          const progress: QueueProgress = { ...p, worker: id };
          // Progress is best effort: a lost update is replaced by the next one.
          job.updateProgress(progress as unknown as object).catch(() => undefined);
        },
      });
      const seconds = (Date.now() - started) / 1000;
      // The message is already one paragraph (user errors) or names the log for the stack trace.
      if (outcome.status === 'failed') throw new Error(outcome.error ?? 'stage failed');
      log(`[${id}] done ${stage.stageId} in ${seconds.toFixed(1)} s`);
      return { worker: id, seconds, logFile: stage.logFile };
    } catch (err) {
      log(`[${id}] failed ${stage.stageId}: ${err instanceof Error ? err.message : String(err)}`);
      throw err;
    } finally {
      running.delete(controller);
    }
  };

  await probeRedis(opts.redis);
  const worker = new Worker(queueName, processor, {
    connection,
    concurrency: opts.concurrency ?? 1,
    lockDuration: opts.lockDurationMs ?? WORKER_DEFAULTS.lockDurationMs,
    stalledInterval: opts.stalledIntervalMs ?? WORKER_DEFAULTS.stalledIntervalMs,
    maxStalledCount: opts.maxStalledCount ?? WORKER_DEFAULTS.maxStalledCount,
    // Short polls so a closing worker does not hang on an idle queue.
    drainDelay: 1,
  });
  worker.on('error', (err) => log(`[${id}] queue error: ${err.message}`));
  worker.on('stalled', (jobId) => log(`[${id}] job ${jobId.slice(0, 12)} lost its worker; it goes back to the queue`));
  await worker.waitUntilReady();
  log(`[${id}] waiting for stages on queue "${queueName}" at ${redactRedisUrl(opts.redis)}`);

  return {
    id,
    close: () => worker.close(),
    abort() {
      for (const c of running) c.abort();
    },
  };
}

/**
 * This machine's folders and backend replace the coordinator's (the fingerprint is unchanged).
 * The log goes next to the shared store rather than to a path named in the job, so job data never
 * chooses where a worker writes.
 */
function localise(job: StageJob, opts: QueueWorkerOptions): StageJob {
  const env: StageEnv = { ...job.env };
  if (opts.backend) env.backend = opts.backend;
  if (opts.dataDir) env.dataDir = opts.dataDir;
  if (opts.weightsDir) env.weightsDir = opts.weightsDir;
  if (opts.downloadDir) env.downloadDir = opts.downloadDir;
  if (opts.projectDir) env.projectDir = opts.projectDir;
  return { ...job, env, logFile: path.join(opts.cacheDir, 'logs', `${job.fingerprint}.log`) };
}
