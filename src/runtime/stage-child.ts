// Child-process entry that runs one stage: `node stage-child.js` receives
// {type: 'job', job, cacheDir} over IPC (or `--job FILE` holding the same JSON), streams progress
// and log lines back over IPC, appends its log to job.logFile, and reports the outcome last.
// Exit code 0 = done, 1 = failed. Queue workers spawn the same entry.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getOneMessage, sendMessage } from 'execa';
import { executeStageJob } from './execute-stage.js';
import { DirectoryStore } from './store.js';
import type { StageJob } from './types.js';

export interface ChildJobMessage {
  type: 'job';
  job: StageJob;
  cacheDir: string;
}

export type ChildMessage =
  | { type: 'progress'; progress: import('../stages/types.js').StageProgress }
  | { type: 'log'; line: string }
  | { type: 'outcome'; outcome: import('./types.js').StageOutcome };

const hasIpc = typeof process.send === 'function';

async function send(msg: ChildMessage): Promise<void> {
  // A failed send means the parent is gone (a killed run): nobody is left to tell, and the stage's files stand.
  if (hasIpc) await sendMessage(msg as never).catch(() => undefined);
  else if (msg.type === 'progress')
    process.stdout.write(`progress: ${msg.progress.message ?? JSON.stringify(msg.progress)}\n`);
  else if (msg.type === 'outcome') process.stdout.write(`${JSON.stringify(msg.outcome)}\n`);
}

async function readJob(): Promise<ChildJobMessage> {
  const i = process.argv.indexOf('--job');
  if (i >= 0) return JSON.parse(readFileSync(process.argv[i + 1]!, 'utf8')) as ChildJobMessage;
  return (await getOneMessage({
    filter: (m) => (m as { type?: string })?.type === 'job',
  })) as unknown as ChildJobMessage;
}

async function main(): Promise<number> {
  const { job, cacheDir } = await readJob();
  const controller = new AbortController();

  if (job.logFile) mkdirSync(path.dirname(job.logFile), { recursive: true });
  const writeLog = (line: string) => {
    if (job.logFile) appendFileSync(job.logFile, `${new Date().toISOString()} ${line}\n`);
  };
  // Give the stage a moment to finish a checkpoint write, then go: the cache stays consistent
  // either way because only a completed folder is ever renamed into it.
  const onSignal = (sig: NodeJS.Signals) => {
    writeLog(`${job.stageId}: received ${sig}; stopping (checkpoints stay in the work folder)`);
    controller.abort(new Error(`received ${sig}`));
    setTimeout(() => process.exit(sig === 'SIGINT' ? 130 : 143), 3000).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // A parent killed with SIGKILL (e.g. a dead queue worker) cannot signal us: the closed IPC channel
  // is the only sign, and another worker may already be resuming this stage from its checkpoint.
  if (hasIpc) process.once('disconnect', () => onSignal('SIGTERM'));
  const store = new DirectoryStore(cacheDir, { warn: (m) => writeLog(`warning: ${m}`) });
  const pending: Promise<void>[] = [];
  const outcome = await executeStageJob(job, store, {
    signal: controller.signal,
    onLog: (line) => {
      writeLog(line);
      pending.push(send({ type: 'log', line }));
    },
    onProgress: (progress) => {
      pending.push(send({ type: 'progress', progress }));
    },
  });
  await Promise.all(pending);
  await send({ type: 'outcome', outcome });
  return outcome.status === 'done' ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
    // tfjs backends may keep handles open; the outcome is already reported.
    setTimeout(() => process.exit(code), 50).unref();
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
