// `pipe run FILE`: run a pipeline's stages (cached ones are skipped), write the run directory,
// run the checks; exit 1 when a stage failed (naming it and its log), 130 when interrupted.
import { InvalidArgumentError, type Command } from 'commander';
import { UserError } from '../core/errors.js';
import { locationOptions, maxConfigsOption, positiveInt } from './options.js';

interface RunCliOptions {
  set?: string[];
  maxConfigs?: number;
  jobs?: number;
  threads?: number;
  only?: string;
  force?: string;
  onError?: string;
  backend?: import('../stages/types.js').BackendName;
  cacheDir?: string;
  runsDir?: string;
  dataDir?: string;
  weightsDir?: string;
  executor?: 'local' | 'queue';
  redis?: string;
  queue?: string;
  retries?: number;
  progress?: 'auto' | 'tty' | 'plain' | 'json' | 'none';
  checks?: boolean;
}

// eslint-disable-next-line max-lines-per-function -- one commander definition and its action
export function register(program: Command): void {
  const cmd = program
    .command('run')
    .description('Run a pipeline: every stage not in the cache, in dependency order, then the checks.')
    .argument('<file>', 'pipeline YAML file')
    .option(
      '-j, --jobs <n>',
      'stages run side by side (each in its own process; default 1, with --executor queue every ready stage is queued)',
      positiveInt('--jobs'),
    )
    .option(
      '--threads <n>',
      "compute threads per stage on wasm (env PIPE_THREADS; default: the pipeline's backend_options.threads, else cores / --jobs)",
      positiveInt('--threads'),
    )
    .option('--only <glob>', 'run only stages matching the glob (e.g. "train/perceptual*") and what they need')
    .option('--force <glob>', 'recompute stages matching the glob even when cached')
    .option(
      '--on-error <policy>',
      'after a failed stage: skip-dependents (run everything else) or stop (start nothing new)',
      'skip-dependents',
    );
  maxConfigsOption(locationOptions(cmd, { runs: true }))
    .option('--executor <name>', 'local (child processes) or queue (BullMQ workers)', 'local')
    .option('--redis <url>', 'Redis for --executor queue, e.g. redis://localhost:6379 (env PIPE_REDIS_URL)')
    .option('--queue <name>', 'queue name for --executor queue')
    .option(
      '--retries <n>',
      'with --executor queue: attempts after a stage fails, on any worker (default 2)',
      nonNegativeInt,
    )
    .option(
      '--progress <mode>',
      'auto (listr on a terminal, plain lines otherwise), tty, plain, json, none',
      progressOption,
      'auto',
    )
    .option('--no-checks', 'skip the pipeline checks at the end')
    .action(async (file: string, o: RunCliOptions) => {
      if (o.executor !== 'local' && o.executor !== 'queue') {
        throw new UserError('PIPE_BAD_OPTION', `--executor must be local or queue; got "${o.executor}".`, 2);
      }
      if (o.onError !== 'skip-dependents' && o.onError !== 'stop') {
        throw new UserError('PIPE_BAD_OPTION', `--on-error must be skip-dependents or stop; got "${o.onError}".`, 2);
      }
      const { checkDirOptions } = await import('./dir-options.js');
      await checkDirOptions(o, ['cacheDir', 'runsDir', 'dataDir', 'weightsDir']);
      const { runPipeline } = await import('../runtime/run.js');
      const { createReporter } = await import('../runtime/reporters/index.js');
      const reporter = await createReporter(o.progress);
      const result = await runPipeline(file, {
        ...o,
        onError: o.onError,
        sets: o.set,
        reporters: [reporter],
        handleSignals: true,
        checks: o.checks !== false,
      });
      const out = result.exitCode === 0 ? process.stdout : process.stderr;
      out.write(`${result.summary}\n`);
      process.exitCode = result.exitCode;
    });
}

const PROGRESS = ['auto', 'tty', 'plain', 'json', 'none'] as const;

function progressOption(value: string): (typeof PROGRESS)[number] {
  if (!(PROGRESS as readonly string[]).includes(value)) {
    const got = JSON.stringify(value.slice(0, 40));
    throw new UserError('PIPE_BAD_OPTION', `--progress must be one of ${PROGRESS.join(', ')}; got ${got}.`, 2);
  }
  return value as (typeof PROGRESS)[number];
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number >= 0');
  return n;
}
