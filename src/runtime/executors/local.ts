// Local executor: one child process per stage (execa), so a crash or out-of-memory in one stage
// fails only that stage. Concurrency is the scheduler's business (--jobs).
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execaNode } from 'execa';
import { stageChildCommand } from '../child-command.js';
import type { ChildJobMessage, ChildMessage } from '../stage-child.js';
import type { Executor, ExecutorHooks, StageJob, StageOutcome } from '../types.js';

export interface LocalExecutorOptions {
  cacheDir: string;
  /** Extra environment for the children (inherits process.env). */
  env?: Record<string, string>;
  /** Seconds between SIGTERM and SIGKILL when a run is interrupted. */
  killGraceSeconds?: number;
}

export function createLocalExecutor(opts: LocalExecutorOptions): Executor {
  const cmd = stageChildCommand();
  return {
    name: 'local',
    async run(job: StageJob, hooks: ExecutorHooks): Promise<StageOutcome> {
      const started = Date.now();
      if (job.logFile) await mkdir(path.dirname(job.logFile), { recursive: true });
      const output = job.logFile ? { file: job.logFile, append: true } : ('ignore' as const);
      // The job travels in a file: IPC messages sent before the child listens could be lost.
      // The pid in the name lets the next start sweep folders a kill -9 leaked (stale-state.ts).
      const jobDir = await mkdtemp(path.join(tmpdir(), `pipe-job-${process.pid}-`));
      const jobFile = path.join(jobDir, 'job.json');
      const message: ChildJobMessage = { type: 'job', job, cacheDir: opts.cacheDir };
      await writeFile(jobFile, JSON.stringify(message));
      const child = execaNode(cmd.file, ['--job', jobFile], {
        nodeOptions: cmd.nodeOptions,
        ipc: true,
        serialization: 'json',
        env: opts.env,
        stdin: 'ignore',
        stdout: output,
        stderr: output,
        reject: false,
        cancelSignal: hooks.signal,
        forceKillAfterDelay: (opts.killGraceSeconds ?? 5) * 1000,
      });
      let outcome: StageOutcome | undefined;
      const reading = (async () => {
        for await (const raw of child.getEachMessage()) {
          const msg = raw as unknown as ChildMessage;
          if (msg.type === 'progress') hooks.onProgress(job.stageId, msg.progress);
          else if (msg.type === 'log') hooks.onLog?.(job.stageId, msg.line);
          else if (msg.type === 'outcome') outcome = msg.outcome;
        }
      })().catch(() => undefined); // the channel closes when the child dies; its exit status tells what happened
      const result = await child;
      await reading;
      await rm(jobDir, { recursive: true, force: true });
      if (outcome) return outcome;
      const how = result.isCanceled
        ? 'was stopped (run interrupted); rerun to continue from its last checkpoint'
        : result.signal
          ? `crashed (killed by ${result.signal}${result.signal === 'SIGKILL' ? ', e.g. out of memory' : ''})`
          : `crashed (exit code ${result.exitCode})`;
      const tail = job.logFile ? await logTail(job.logFile) : '';
      return {
        stageId: job.stageId,
        fingerprint: job.fingerprint,
        status: 'failed',
        error: `stage process ${how}${tail ? `; last log lines: ${tail}` : ''}`,
        ...(job.logFile ? { logFile: job.logFile } : {}),
        seconds: (Date.now() - started) / 1000,
        worker: `local:${child.pid ?? '?'}`,
      };
    },
    async close() {},
  };
}

async function logTail(file: string, lines = 3): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join(' | ').slice(-600);
  } catch {
    return '';
  }
}
