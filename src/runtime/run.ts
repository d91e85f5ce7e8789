// `pipe run`: compile, fingerprint, create the run directory, schedule the stages on an
// executor, record everything, run the checks, and say how it went (exit code).
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Compiled } from '../compiler/index.js';
import { runtimeVersions } from './engine-version.js';
import { CompositeReporter, type Reporter, type RunStatus } from './events.js';
import { selectStages, topologicalOrder } from './graph.js';
import { compilePipeline, prepareCompiled } from './prepare.js';
import { RunDirectory, type RunRecord } from './run-dir.js';
import { scheduleDag, type OnError, type StageRun } from './scheduler.js';
import type { LocationOptions } from './settings.js';
import type { Executor } from './types.js';
import { updateIndex } from './why.js';

export interface RunOptions extends LocationOptions {
  sets?: string[];
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
  return runCompiled(await compilePipeline(file, opts.sets), opts);
}

export async function runCompiled(compiled: Compiled, opts: RunOptions = {}): Promise<RunResult> {
  const started = Date.now();
  const prepared = await prepareCompiled(compiled, opts);
  const { dag } = compiled;
  const { loc, env, store } = prepared;
  const fps = Object.fromEntries(Object.entries(prepared.fingerprints).map(([id, f]) => [id, f.value]));
  const reporter = new CompositeReporter(opts.reporters ?? []);
  if (opts.only && selectStages(dag, opts.only).size === 0) {
    const { UserError } = await import('../cli/errors.js');
    throw new UserError('PIPE_ONLY_MATCHES_NOTHING', `--only "${opts.only}" matches no stage of ${compiled.file}; stages: ${Object.keys(dag.stages).join(', ')}.`, 2);
  }

  // Before any file is written: a bad --executor/--redis is a usage error, not a failed run.
  const executorName = opts.executor ?? 'local';
  const executor = await createExecutor(executorName, opts, loc.cacheDir, store);

  const runDir = await RunDirectory.create(loc.runsDir, dag.pipeline);
  await runDir.writeText('pipeline.yaml', compiled.text);
  await runDir.writeJson('resolved.json', { config: compiled.config, configs: compiled.configs });
  await runDir.writeJson('dag.json', { ...dag, fingerprints: fps });

  const record: RunRecord = {
    pipeline: dag.pipeline,
    runId: runDir.runId,
    file: compiled.file,
    status: 'running',
    startedAt: new Date(started).toISOString(),
    executor: executorName,
    options: { sets: opts.sets ?? [], jobs: opts.jobs ?? 1, only: opts.only, force: opts.force, onError: opts.onError ?? 'skip-dependents', backend: env.backend, threads: env.threads },
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
  };
  // Written first so that `pipe gc` running meanwhile keeps this run's work folders.
  await runDir.writeJson('run.json', record);

  const controller = new AbortController();
  const abort = () => controller.abort();
  opts.signal?.addEventListener('abort', abort);
  // First signal: stop cleanly (children get SIGTERM, run.json is written). Second: leave now; the
  // cache is still consistent because entries only appear by rename.
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(sig === 'SIGINT' ? 130 : 143);
    process.stderr.write(`pipe: ${sig}: stopping running stages (again to quit at once)\n`);
    abort();
  };
  if (opts.handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  reporter.event({ type: 'runStarted', pipeline: dag.pipeline, runDir: runDir.dir, stages: topologicalOrder(dag).map((id) => ({ id, kind: dag.stages[id]!.kind })) });

  let writing = Promise.resolve();
  const saveRecord = () => (writing = writing.then(() => runDir.writeJson('run.json', record)).catch(() => undefined));
  let stages: Record<string, StageRun> = {};
  try {
    stages = await scheduleDag({
      dag,
      fingerprints: fps,
      store,
      executor,
      env,
      // The queue's workers limit what runs; the coordinator queues every ready stage at once.
      jobs: opts.jobs ?? (executorName === 'queue' ? Number.MAX_SAFE_INTEGER : 1),
      only: opts.only,
      force: opts.force,
      onError: opts.onError,
      signal: controller.signal,
      logFileFor: (id) => runDir.logFile(id),
      emit: (e) => reporter.event(e),
      onSettled: async (id, run) => {
        const entry = record.stages[id]!;
        // Executors on other machines log elsewhere (e.g. the shared cache): keep a copy with the run.
        if (run.logFile && run.logFile !== runDir.logFile(id) && (await runDir.copyLog(id, run.logFile))) run.logFile = runDir.logFile(id);
        if (run.logFile && !(await fileExists(run.logFile))) delete run.logFile;
        Object.assign(entry, stripUndefined({ status: run.status, seconds: run.seconds, startedAt: run.startedAt, finishedAt: run.finishedAt, worker: run.worker, logFile: run.logFile, error: run.error }));
        if (run.status === 'done' || run.status === 'cached') {
          const dir = await store.lookup(run.fingerprint);
          if (dir) {
            entry.cacheEntry = dir;
            entry.backend = (await store.readRecord(run.fingerprint))?.backend ?? undefined;
            await runDir.linkStage(id, dir);
            if (dag.stages[id]!.kind === 'report') await runDir.copyReport(dir);
          }
        }
        await saveRecord();
      },
    });
  } catch (err) {
    // A bug or an unreadable cache: leave a truthful run.json and a usable terminal behind.
    record.status = 'failed';
    record.finishedAt = new Date().toISOString();
    await saveRecord();
    reporter.event({ type: 'runFinished', status: 'failed', runDir: runDir.dir });
    await reporter.close();
    throw err;
  } finally {
    if (opts.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    opts.signal?.removeEventListener('abort', abort);
    await executor.close().catch(() => undefined);
  }

  for (const [id, run] of Object.entries(stages)) {
    const entry = record.stages[id]!;
    entry.status = run.status;
    if (run.reason) entry.reason = run.reason;
  }
  const failed = Object.entries(stages)
    .filter(([, r]) => r.status === 'failed')
    .map(([stageId, r]) => stripUndefined({ stageId, error: r.error, logFile: r.logFile }));
  const interrupted = controller.signal.aborted;
  const status: RunStatus = interrupted ? 'interrupted' : failed.length ? 'failed' : 'done';
  await updateIndex(
    loc.cacheDir,
    dag.pipeline,
    prepared.fingerprints,
    Object.keys(stages).filter((id) => stages[id]!.status === 'done' || stages[id]!.status === 'cached'),
  ).catch(() => undefined);

  const reportStage = Object.keys(dag.stages).find((id) => dag.stages[id]!.kind === 'report');
  let checks: RunResult['checks'];
  const reportReady = reportStage && ['done', 'cached'].includes(stages[reportStage]?.status ?? '');
  if (opts.checks !== false && !interrupted && reportReady) checks = await runChecks(runDir.dir);

  record.status = status;
  record.finishedAt = new Date().toISOString();
  record.seconds = (Date.now() - started) / 1000;
  record.failed = failed;
  if (checks) record.checks = checks;
  delete record.pid;
  await saveRecord();
  await runDir.markLatest();
  reporter.event({ type: 'runFinished', status, runDir: runDir.dir });
  await reporter.close();

  const exitCode = interrupted ? 130 : failed.length ? 1 : checks && checks.exitCode !== 0 ? checks.exitCode : 0;
  return { runDir: runDir.dir, status, exitCode, stages, failed, ...(checks ? { checks } : {}), summary: summarize(runDir.dir, status, stages, failed, checks) };
}

async function createExecutor(name: string, opts: RunOptions, cacheDir: string, store: import('./store.js').DirectoryStore): Promise<Executor> {
  if (name === 'local') return (await import('./executors/local.js')).createLocalExecutor({ cacheDir });
  if (name === 'queue') {
    const redis = opts.redis ?? process.env.PIPE_REDIS_URL;
    if (!redis) {
      const { UserError } = await import('../cli/errors.js');
      throw new UserError('PIPE_QUEUE_NEEDS_REDIS', '--executor queue needs --redis redis://HOST:PORT or PIPE_REDIS_URL (and workers started with `pipe worker` on the same Redis and cache dir).', 2);
    }
    const { createQueueExecutor } = await import('./queue/executor.js');
    return createQueueExecutor({ redis, ...(opts.queue ? { queue: opts.queue } : {}), ...(opts.retries !== undefined ? { retries: opts.retries } : {}), store });
  }
  const { UserError } = await import('../cli/errors.js');
  throw new UserError('PIPE_UNKNOWN_EXECUTOR', `unknown executor "${name}": use --executor local or --executor queue.`, 2);
}

/** The checks module is optional at this layer: a build without it still runs pipelines. */
async function runChecks(runDir: string): Promise<{ exitCode: number; text: string } | undefined> {
  let mod: { runChecksForRun?(dir: string): Promise<{ exitCode: number; text: string }> };
  try {
    mod = (await import(/* @vite-ignore */ checksModule)) as typeof mod;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
  return mod.runChecksForRun ? mod.runChecksForRun(runDir) : undefined;
}
const checksModule = '../checks/index.js';

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
  for (const f of failed) lines.push(`  failed ${f.stageId}: ${f.error ?? ''}${f.logFile ? `\n    log: ${f.logFile}` : ''}`);
  if (status === 'interrupted') lines.push('  interrupted: rerun the same command to continue (finished stages are cached, training resumes from its checkpoint)');
  if (checks?.text) lines.push(checks.text.trimEnd());
  if (checks && checks.exitCode !== 0) lines.push(`checks failed (exit ${checks.exitCode}): see above; rerun them with \`pipe check ${path.relative(process.cwd(), runDir) || runDir}\``);
  return lines.join('\n');
}

async function fileExists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
