// `pipe run`: compile, fingerprint, create the run directory, schedule the stages on an
// executor, record everything, run the checks, and say how it went (exit code).
import { hostname } from 'node:os';
import path from 'node:path';
import type { Compiled } from '../compiler/index.js';
import { UserError } from '../core/errors.js';
import { runtimeVersions } from './engine-version.js';
import { CompositeReporter, type Reporter, type RunStatus } from './events.js';
import { selectStages, topologicalOrder } from './graph.js';
import { compilePipeline, prepareCompiled, type Prepared } from './prepare.js';
import { RUN_RECORD, RUN_RECORD_FORMAT, type RunRecord } from '../core/formats/run-record.js';
import { isFile } from '../core/fs.js';
import { RunDirectory } from './run-dir.js';
import { recordRunsDir } from './runs-dirs-registry.js';
import { markKilledRuns, sweepStaleJobDirs } from './stale-state.js';
import { scheduleDag, type OnError, type StageRun } from './scheduler.js';
import type { LocationOptions } from './settings.js';
import type { Executor } from './types.js';
import { warn } from './warn.js';
import { updateIndex } from './why.js';

export interface RunOptions extends LocationOptions {
  sets?: string[];
  /** --max-configs: cap on variants x sweep points. */
  maxConfigs?: number;
  jobs?: number;
  only?: string;
  force?: string;
  onError?: OnError;
  executor?: 'local' | 'queue';
  redis?: string;
  queue?: string;
  /** --executor queue: extra attempts for a failing stage (default 2). */
  retries?: number;
  reporters?: Reporter[];
  /** Stops the run: running stages are killed, nothing new starts, the cache stays consistent. */
  signal?: AbortSignal;
  /** Install SIGINT/SIGTERM handlers that abort the run (the CLI does). */
  handleSignals?: boolean;
  /** Run the checks at the end (default true). */
  checks?: boolean;
}

export interface RunResult {
  runDir: string;
  status: RunStatus;
  exitCode: number;
  stages: Record<string, StageRun>;
  failed: { stageId: string; error?: string; logFile?: string }[];
  checks?: { exitCode: number; text: string };
  /** Closing lines for the terminal: failed stages and their logs, checks. */
  summary: string;
}

export async function runPipeline(file: string, opts: RunOptions = {}): Promise<RunResult> {
  return runCompiled(await compilePipeline(file, opts.sets, opts.maxConfigs), opts);
}

export async function runCompiled(compiled: Compiled, opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const prepared = await prepareCompiled(compiled, opts);
  checkOnly(compiled, opts.only);
  // Before any file is written: a bad --executor/--redis is a usage error, not a failed run.
  const executorName = opts.executor ?? 'local';
  const executor = await createExecutor(executorName, opts, prepared.loc.cacheDir, prepared.store);
  const run = await startRunDirectory(prepared, opts, executorName, started);
  const stop = stopOnSignals(opts);
  const { dag } = compiled;
  run.reporter.event({
    type: 'runStarted',
    pipeline: dag.pipeline,
    runDir: run.dir.dir,
    stages: topologicalOrder(dag).map((id) => ({ id, kind: dag.stages[id]!.kind })),
  });
  let stages: Record<string, StageRun>;
  try {
    stages = await scheduleDag({
      dag,
      fingerprints: run.fps,
      store: prepared.store,
      executor,
      env: prepared.env,
      // The queue's workers limit what runs; the coordinator queues every ready stage at once.
      jobs: opts.jobs ?? (executorName === 'queue' ? Number.MAX_SAFE_INTEGER : 1),
      only: opts.only,
      force: opts.force,
      onError: opts.onError,
      signal: stop.signal,
      logFileFor: (id) => run.dir.logFile(id),
      emit: (e) => run.reporter.event(e),
      onSettled: (id, stageRun) => recordSettledStage(run, prepared, id, stageRun),
    });
  } catch (err) {
    await recordCrash(run);
    throw err;
  } finally {
    stop.dispose();
    await executor.close().catch((err: unknown) => warn(`closing the ${executorName} executor failed`, err));
  }
  return finishRun(run, prepared, opts, stages, stop.signal.aborted);
}

/** A run in progress: its directory, its record (run.json) and where events go. */
interface ActiveRun {
  dir: RunDirectory;
  record: RunRecord;
  fps: Record<string, string>;
  reporter: CompositeReporter;
  started: number;
  /** Rewrites run.json; writes are queued so they never interleave. A failed write is reported, not fatal. */
  save(): Promise<void>;
}

function checkOnly(compiled: Compiled, only: string | undefined): void {
  if (only && selectStages(compiled.dag, only).size === 0) {
    throw new UserError(
      'PIPE_ONLY_MATCHES_NOTHING',
      `--only "${only}" matches no stage of ${compiled.file}; stages: ${Object.keys(compiled.dag.stages).join(', ')}.`,
      2,
    );
  }
}

/** Creates runs/<pipeline>/<run-id>/ with what was asked (pipeline, resolved config, DAG) and a first run.json. */
async function startRunDirectory(
  prepared: Prepared,
  opts: RunOptions,
  executorName: string,
  started: number,
): Promise<ActiveRun> {
  const { compiled, loc, env } = prepared;
  const { dag } = compiled;
  const fps = Object.fromEntries(Object.entries(prepared.fingerprints).map(([id, f]) => [id, f.value]));
  // Before the run directory exists: gc from any other runs dir then reads this one too.
  await recordRunsDir(loc.cacheDir, loc.runsDir);
  // Leftovers of runs killed with -9: their run.json says interrupted, their job folders go.
  await markKilledRuns(loc.runsDir);
  await sweepStaleJobDirs();
  const dir = await RunDirectory.create(loc.runsDir, dag.pipeline);
  await dir.writeText('pipeline.yaml', compiled.text);
  await dir.writeJson('resolved.json', { config: compiled.config, configs: compiled.configs });
  await dir.writeJson('dag.json', { ...dag, fingerprints: fps });
  const record: RunRecord = {
    format: RUN_RECORD_FORMAT,
    pipeline: dag.pipeline,
    runId: dir.runId,
    file: compiled.file,
    status: 'running',
    startedAt: new Date(started).toISOString(),
    executor: executorName,
    options: {
      sets: opts.sets ?? [],
      jobs: opts.jobs ?? 1,
      only: opts.only,
      force: opts.force,
      onError: opts.onError ?? 'skip-dependents',
      backend: env.backend,
      threads: env.threads,
    },
    versions: runtimeVersions(),
    locations: { cacheDir: loc.cacheDir, runsDir: loc.runsDir, dataDir: loc.dataDir, weightsDir: loc.weightsDir },
    stages: Object.fromEntries(
      topologicalOrder(dag).map((id) => [
        id,
        { kind: dag.stages[id]!.kind, configs: dag.stages[id]!.configs, status: 'pending', fingerprint: fps[id]! },
      ]),
    ),
    failed: [],
    pid: process.pid,
    host: hostname(),
  };
  // Written first so that `pipe gc` running meanwhile keeps this run's work folders.
  await dir.writeJson(RUN_RECORD, record);
  let writing = Promise.resolve();
  const save = () =>
    (writing = writing
      .then(() => dir.writeJson(RUN_RECORD, record))
      .catch((err: unknown) =>
        warn(`could not update ${path.join(dir.dir, RUN_RECORD)}; it may not show the latest stage states`, err),
      ));
  return { dir, record, fps, reporter: new CompositeReporter(opts.reporters ?? []), started, save };
}

/**
 * First signal: stop cleanly (children get SIGTERM, run.json is written). Second: leave now; the cache is still
 * consistent because entries only appear by rename.
 */
function stopOnSignals(opts: RunOptions): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  opts.signal?.addEventListener('abort', abort);
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
    process.stderr.write(`pipe: ${sig}: stopping running stages (again to quit at once)\n`);
    abort();
  };
  if (opts.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const dispose = () => {
    if (opts.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    opts.signal?.removeEventListener('abort', abort);
  };
  return { signal: controller.signal, dispose };
}

/** A stage finished (or was cached, skipped, failed): record it, link its cache entry, save run.json. */
async function recordSettledStage(run: ActiveRun, prepared: Prepared, id: string, stageRun: StageRun): Promise<void> {
  const { dir } = run;
  const entry = run.record.stages[id]!;
  // Executors on other machines log elsewhere (e.g. the shared cache): keep a copy with the run.
  if (stageRun.logFile && stageRun.logFile !== dir.logFile(id) && (await dir.copyLog(id, stageRun.logFile)))
    stageRun.logFile = dir.logFile(id);
  if (stageRun.logFile && !(await isFile(stageRun.logFile))) delete stageRun.logFile;
  const { status, seconds, startedAt, finishedAt, worker, logFile, error } = stageRun;
  Object.assign(entry, stripUndefined({ status, seconds, startedAt, finishedAt, worker, logFile, error }));
  if (stageRun.status === 'done' || stageRun.status === 'cached') {
    const entryDir = await prepared.store.lookup(stageRun.fingerprint);
    if (entryDir) {
      entry.cacheEntry = entryDir;
      entry.backend = (await prepared.store.readRecord(stageRun.fingerprint))?.backend ?? undefined;
      await dir.linkStage(id, entryDir);
      if (prepared.compiled.dag.stages[id]!.kind === 'report') await dir.copyReport(entryDir);
    }
  }
  await run.save();
}

/** A bug or an unreadable cache: leave a truthful run.json and a usable terminal behind. */
async function recordCrash(run: ActiveRun): Promise<void> {
  run.record.status = 'failed';
  run.record.finishedAt = new Date().toISOString();
  await run.save();
  run.reporter.event({ type: 'runFinished', status: 'failed', runDir: run.dir.dir });
  await run.reporter.close();
}

/** After the schedule: the why-index, the checks, the final run.json, `latest`, and the exit code. */
async function finishRun(
  run: ActiveRun,
  prepared: Prepared,
  opts: RunOptions,
  stages: Record<string, StageRun>,
  interrupted: boolean,
): Promise<RunResult> {
  const { record, dir } = run;
  const { dag } = prepared.compiled;
  for (const [id, stageRun] of Object.entries(stages)) {
    const entry = record.stages[id]!;
    entry.status = stageRun.status;
    if (stageRun.reason) entry.reason = stageRun.reason;
  }
  const failed = Object.entries(stages)
    .filter(([, r]) => r.status === 'failed')
    .map(([stageId, r]) => stripUndefined({ stageId, error: r.error, logFile: r.logFile }));
  const status: RunStatus = interrupted ? 'interrupted' : failed.length ? 'failed' : 'done';
  const finished = Object.keys(stages).filter((id) => stages[id]!.status === 'done' || stages[id]!.status === 'cached');
  // The index only speeds up `pipe plan`'s "why" answers; a failed update costs an explanation, not the run.
  await updateIndex(prepared.loc.cacheDir, dag.pipeline, prepared.fingerprints, finished).catch((err: unknown) =>
    warn('could not update the cache index used by `pipe plan`', err),
  );

  const reportStage = Object.keys(dag.stages).find((id) => dag.stages[id]!.kind === 'report');
  let checks: RunResult['checks'];
  const reportReady = reportStage && ['done', 'cached'].includes(stages[reportStage]?.status ?? '');
  if (opts.checks !== false && !interrupted && reportReady) checks = await runChecks(dir.dir);

  record.status = status;
  record.finishedAt = new Date().toISOString();
  record.seconds = (Date.now() - run.started) / 1000;
  record.failed = failed;
  if (checks) record.checks = checks;
  delete record.pid;
  await run.save();
  await dir.markLatest();
  run.reporter.event({ type: 'runFinished', status, runDir: dir.dir });
  await run.reporter.close();

  const exitCode = interrupted ? 130 : failed.length ? 1 : checks && checks.exitCode !== 0 ? checks.exitCode : 0;
  return {
    runDir: dir.dir,
    status,
    exitCode,
    stages,
    failed,
    ...(checks ? { checks } : {}),
    summary: summarize(dir.dir, status, stages, failed, checks),
  };
}

async function createExecutor(
  name: string,
  opts: RunOptions,
  cacheDir: string,
  store: import('./store.js').DirectoryStore,
): Promise<Executor> {
  if (name === 'local') return (await import('./executors/local.js')).createLocalExecutor({ cacheDir });
  if (name === 'queue') {
    const redis = opts.redis ?? process.env.PIPE_REDIS_URL;
    if (!redis) {
      throw new UserError(
        'PIPE_QUEUE_NEEDS_REDIS',
        '--executor queue needs --redis redis://HOST:PORT or PIPE_REDIS_URL (and workers started with `pipe worker` on the same Redis and cache dir).',
        2,
      );
    }
    const { createQueueExecutor } = await import('./queue/executor.js');
    return createQueueExecutor({
      redis,
      ...(opts.queue ? { queue: opts.queue } : {}),
      ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
      store,
    });
  }
  throw new UserError(
    'PIPE_UNKNOWN_EXECUTOR',
    `unknown executor "${name}": use --executor local or --executor queue.`,
    2,
  );
}

/** Checks load lazily (a literal import, so the type checker and the dependency lint see the edge). */
async function runChecks(runDir: string): Promise<{ exitCode: number; text: string }> {
  const { runChecksForRun } = await import('../checks/index.js');
  return runChecksForRun(runDir);
}

function summarize(
  runDir: string,
  status: RunStatus,
  stages: Record<string, StageRun>,
  failed: RunResult['failed'],
  checks: RunResult['checks'],
): string {
  const count = (s: string) => Object.values(stages).filter((r) => r.status === s).length;
  const lines = [
    `${status}: ${count('done')} ran, ${count('cached')} cached, ${count('failed')} failed, ${count('skipped')} skipped${count('interrupted') ? `, ${count('interrupted')} interrupted` : ''}${count('not-selected') ? `, ${count('not-selected')} not selected` : ''} -> ${path.relative(process.cwd(), runDir) || runDir}`,
  ];
  for (const f of failed)
    lines.push(`  failed ${f.stageId}: ${f.error ?? ''}${f.logFile ? `\n    log: ${f.logFile}` : ''}`);
  if (status === 'interrupted')
    lines.push(
      '  interrupted: rerun the same command to continue (finished stages are cached, training resumes from its checkpoint)',
    );
  if (checks?.text) lines.push(checks.text.trimEnd());
  if (checks && checks.exitCode !== 0)
    lines.push(
      `checks failed (exit ${checks.exitCode}): see above; rerun them with \`pipe check ${path.relative(process.cwd(), runDir) || runDir}\``,
    );
  return lines.join('\n');
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
