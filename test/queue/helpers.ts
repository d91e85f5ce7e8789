// Process helpers for the queue tests: `pipe worker` processes started from the sources (tsx), and
// a tiny scheduler that feeds a fixed DAG of StageJobs to an executor.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { stageChildCommand } from '../../src/runtime/child-command.js';
import type { StageProgress } from '../../src/stages/types.js';
import type { Executor, StageJob, StageOutcome } from '../../src/runtime/types.js';
import { REPO_DIR } from '../shared-paths.js';

export const TEST_STAGES = path.join(REPO_DIR, 'test/queue/fixtures/test-stages.ts');

export interface WorkerProcess {
  name: string;
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export async function startWorker(name: string, args: string[], env: Record<string, string>): Promise<WorkerProcess> {
  const { nodeOptions } = stageChildCommand();
  const proc = spawn(
    process.execPath,
    [...nodeOptions, path.join(REPO_DIR, 'src/cli.ts'), 'worker', '--name', name, ...args],
    {
      cwd: REPO_DIR,
      env: { ...process.env, PIPE_CLI_ENTRY: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${name} did not start:\n${out}`)), 30_000);
    const check = () => {
      if (out.includes('waiting for stages')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${name} exited with ${code}:\n${out}`));
    });
  });
  return { name, proc, output: () => out, exited };
}

export async function stopWorker(w: WorkerProcess): Promise<void> {
  if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
  w.proc.kill('SIGTERM');
  await w.exited;
}

export const fp = (text: string): string => createHash('sha256').update(text).digest('hex');

export interface TestDag {
  jobs: StageJob[];
  /** stage id -> ids it waits for */
  deps: Record<string, string[]>;
}

/** data -> qtrain x variants -> qeval x variants. */
export function sweepDag(tag: string, variants: number[], projectDir: string, steps = 12, stepMs = 120): TestDag {
  const env = { projectDir, backend: 'cpu' as const, downloadDir: path.join(projectDir, 'downloads') };
  const data: StageJob = {
    stageId: 'data',
    kind: 'qdata',
    fingerprint: fp(`${tag}/data`),
    params: { size: 17 },
    inputs: {},
    env,
  };
  const jobs: StageJob[] = [data];
  const deps: Record<string, string[]> = { data: [] };
  for (const lr of variants) {
    const train: StageJob = {
      stageId: `train/lr${lr}`,
      kind: 'qtrain',
      fingerprint: fp(`${tag}/train/${lr}`),
      params: { steps, stepMs, lr },
      inputs: { dataset: data.fingerprint },
      env,
    };
    const evaluate: StageJob = {
      stageId: `evaluate/lr${lr}`,
      kind: 'qeval',
      fingerprint: fp(`${tag}/eval/${lr}`),
      params: {},
      inputs: { train: train.fingerprint },
      env,
    };
    jobs.push(train, evaluate);
    deps[train.stageId] = ['data'];
    deps[evaluate.stageId] = [train.stageId];
  }
  return { jobs, deps };
}

/** Runs every stage once its dependencies are done; a failed stage fails its dependents. */
export async function runDag(
  dag: TestDag,
  executor: Executor,
  onProgress: (stageId: string, p: StageProgress) => void = () => {},
): Promise<Record<string, StageOutcome>> {
  const outcomes: Record<string, StageOutcome> = {};
  const started = new Map<string, Promise<StageOutcome>>();
  const signal = new AbortController().signal;
  const runOne = (id: string): Promise<StageOutcome> => {
    let p = started.get(id);
    if (!p) {
      const job = dag.jobs.find((j) => j.stageId === id)!;
      p = (async () => {
        const before = await Promise.all(dag.deps[id]!.map(runOne));
        const failed = before.find((o) => o.status !== 'done');
        const outcome: StageOutcome = failed
          ? {
              stageId: id,
              fingerprint: job.fingerprint,
              status: 'failed',
              error: `skipped: ${failed.stageId} failed`,
              seconds: 0,
            }
          : await executor.run(job, { onProgress, signal });
        outcomes[id] = outcome;
        return outcome;
      })();
      started.set(id, p);
    }
    return p;
  };
  await Promise.all(dag.jobs.map((j) => runOne(j.stageId)));
  return outcomes;
}

export interface StageStart {
  kind: string;
  event: string;
  fp: string;
  from: number;
  pid: number;
}

export function readStarts(file: string): StageStart[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StageStart);
}
