// `pipe worker`: runs stages from a Redis queue for `pipe run --executor queue` coordinators.
import type { Command } from 'commander';
import { DEFAULT_QUEUE_NAME, WORKER_DEFAULTS } from '../runtime/queue/defaults.js';
import type { BackendName } from '../stages/types.js';
import { UserError } from '../core/errors.js';
import { BACKEND_NAMES } from '../core/backends.js';
import { backendOption, positiveInt } from './options.js';

interface WorkerFlags {
  redis?: string;
  queue?: string;
  concurrency: number;
  threads?: number;
  backend?: BackendName;
  cacheDir?: string;
  dataDir?: string;
  weightsDir?: string;
  projectDir?: string;
  name?: string;
  lockDuration?: number;
  stalledInterval?: number;
  maxStalled?: number;
}

// eslint-disable-next-line max-lines-per-function -- one commander definition and its action
export function register(program: Command): void {
  program
    .command('worker')
    .description('Run pipeline stages from a Redis queue (start one or more on every machine of a sweep).')
    .option('--redis <url>', 'Redis URL: redis://[:password@]host[:port][/db], rediss:// for TLS (env PIPE_REDIS_URL)')
    .option('--queue <name>', `queue name; the same as the coordinator's --queue (default ${DEFAULT_QUEUE_NAME})`)
    .option('--concurrency <n>', 'stages run side by side on this machine', positiveInt('--concurrency'), 1)
    .option(
      '--threads <n>',
      'compute threads per stage on this machine (env PIPE_THREADS; default cores / --concurrency)',
      positiveInt('--threads'),
    )
    .option(
      '--backend <name>',
      `TensorFlow.js backend on this machine: ${BACKEND_NAMES.join(', ')} (default: the coordinator's)`,
      backendOption,
    )
    .option(
      '--cache-dir <dir>',
      'shared artefact store, the same storage on every machine (env PIPE_CACHE_DIR; default .pipe/cache)',
    )
    .option('--data-dir <dir>', 'dataset mirror folder on this machine (env PIPE_DATA_DIR)')
    .option('--weights-dir <dir>', 'pretrained weights mirror folder on this machine (env PIPE_WEIGHTS_DIR)')
    .option(
      '--project-dir <dir>',
      "where this machine has the pipeline's folder, when not at the coordinator's path (relative `path:` values resolve against it)",
    )
    .option('--name <id>', 'worker name in progress lines and run.json (default hostname:pid)')
    .option(
      '--lock-duration <ms>',
      `a job whose worker is silent this long goes to another worker (default ${WORKER_DEFAULTS.lockDurationMs})`,
      positiveInt('--lock-duration'),
    )
    .option(
      '--stalled-interval <ms>',
      `how often to look for jobs of dead workers (default ${WORKER_DEFAULTS.stalledIntervalMs})`,
      positiveInt('--stalled-interval'),
    )
    .option(
      '--max-stalled <n>',
      `times a job may lose its worker before it fails (default ${WORKER_DEFAULTS.maxStalledCount})`,
      positiveInt('--max-stalled'),
    )
    .action(async (flags: WorkerFlags) => {
      const redis = flags.redis ?? process.env.PIPE_REDIS_URL;
      if (!redis) {
        throw new UserError(
          'PIPE_WORKER_NO_REDIS',
          'pipe worker needs a Redis URL: pass --redis redis://HOST:PORT (or set PIPE_REDIS_URL), the same one the coordinator uses with `pipe run --executor queue`.',
          2,
        );
      }
      const path = await import('node:path');
      const { startQueueWorker } = await import('../runtime/queue/worker.js');
      const { resolveLocations } = await import('../runtime/settings.js');
      const { resolveThreads } = await import('../runtime/threads.js');
      // Same flags, environment variables and defaults as `pipe run`, resolved on this machine.
      const loc = resolveLocations({ cacheDir: flags.cacheDir, dataDir: flags.dataDir, weightsDir: flags.weightsDir });
      const worker = await startQueueWorker({
        redis,
        queue: flags.queue,
        concurrency: flags.concurrency,
        // This machine's cores, shared by the stages it runs side by side, replace the coordinator's count.
        threads: resolveThreads({ flag: flags.threads, env: process.env.PIPE_THREADS, jobs: flags.concurrency })
          .threads,
        backend: flags.backend,
        cacheDir: loc.cacheDir,
        dataDir: loc.dataDir,
        weightsDir: loc.weightsDir,
        downloadDir: loc.downloadDir,
        projectDir: flags.projectDir ? path.resolve(flags.projectDir) : undefined,
        name: flags.name,
        lockDurationMs: flags.lockDuration,
        stalledIntervalMs: flags.stalledInterval,
        maxStalledCount: flags.maxStalled,
      });
      await untilSignalled(worker);
    });
}

/**
 * First SIGINT/SIGTERM: take no new stages and let the running ones finish. A second one: stop the
 * running stages now; their jobs stall and another worker resumes them from their checkpoints.
 */
function untilSignalled(worker: { id: string; close(): Promise<void>; abort(): void }): Promise<void> {
  return new Promise((resolve) => {
    let closing = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (!closing) {
        closing = true;
        process.stderr.write(`[${worker.id}] ${sig}: finishing the running stages (send it again to stop now)\n`);
        worker.close().then(resolve, resolve);
        return;
      }
      process.stderr.write(`[${worker.id}] ${sig}: stopping now; unfinished stages go back to the queue\n`);
      worker.abort();
      process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
