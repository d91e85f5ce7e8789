// Scheduling policies (--only, --force, --jobs, skip-dependents, interruption) with the real
// scheduler, store and stage execution, in-process for speed; the child-process path is covered
// by runtime.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePipelineText } from '../../src/compiler/index.js';
import type { Compiled } from '../../src/compiler/index.js';
import { RecordingReporter, type RunEvent } from '../../src/runtime/events.js';
import { executeStageJob } from '../../src/runtime/execute-stage.js';
import { createInProcessExecutor } from '../../src/runtime/executors/in-process.js';
import { prepareCompiled } from '../../src/runtime/prepare.js';
import { scheduleDag } from '../../src/runtime/scheduler.js';
import { DirectoryStore } from '../../src/runtime/store.js';
import { collectGarbage } from '../../src/runtime/gc.js';
import { runCompiled } from '../../src/runtime/run.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const saved = { ...process.env };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pipe-sched-'));
  process.env.PIPE_STAGE_MODULES = path.join(here, 'fixtures', 'kinds.ts');
  process.env.PIPE_TEST_STEP_MS = '2';
  delete process.env.PIPE_TEST_EXEC_LOG;
});
afterAll(async () => {
  process.env = saved;
  await rm(dir, { recursive: true, force: true });
});

function compiled(variants: string, name = 'sched'): Compiled {
  const text = readFileSync(path.join(here, 'fixtures', 'tiny.yaml'), 'utf8')
    .replace(/^variants:\n(?: {2}.*\n)+/m, `variants:\n${variants}\n`)
    .replace('name: tiny', `name: ${name}`);
  const file = path.join(dir, `${name}.yaml`);
  return { file, text, ...compilePipelineText(text, file, []) };
}

async function schedule(
  c: Compiled,
  cacheDir: string,
  extra: {
    only?: string;
    force?: string;
    jobs?: number;
    signal?: AbortSignal;
    onError?: 'stop' | 'skip-dependents';
  } = {},
) {
  const p = await prepareCompiled(c, { cwd: dir, cacheDir });
  const rec = new RecordingReporter();
  const fingerprints = Object.fromEntries(Object.entries(p.fingerprints).map(([k, v]) => [k, v.value]));
  const runs = await scheduleDag({
    dag: c.dag,
    fingerprints,
    store: p.store,
    executor: createInProcessExecutor(p.store),
    env: p.env,
    jobs: extra.jobs ?? 1,
    ...extra,
    emit: (e) => rec.event(e),
  });
  const status = Object.fromEntries(Object.entries(runs).map(([id, r]) => [id, r.status]));
  return { runs, status, rec, store: p.store, fingerprints };
}

function maxInFlight(events: RunEvent[]): number {
  let now = 0;
  let max = 0;
  for (const e of events) {
    if (e.type === 'stageStarted') max = Math.max(max, ++now);
    if (e.type === 'stageFinished' || e.type === 'stageFailed') now--;
  }
  return max;
}

const three = '  a: {}\n  b: { train.seed: 2 }\n  c: { train.seed: 3 }';

describe('scheduler', () => {
  it('--only runs the matching stages and what they need; --force recomputes cached ones', async () => {
    const cache = path.join(dir, 'only');
    const c = compiled(three);
    const only = await schedule(c, cache, { only: 'evaluate/b' });
    expect(only.status).toEqual({
      dataset: 'done',
      'train/a': 'not-selected',
      'evaluate/a': 'not-selected',
      'train/b': 'done',
      'evaluate/b': 'done',
      'train/c': 'not-selected',
      'evaluate/c': 'not-selected',
      report: 'not-selected',
    });
    const forced = await schedule(c, cache, { only: 'evaluate/b', force: 'train/*' });
    expect(forced.status).toMatchObject({ dataset: 'cached', 'train/b': 'done', 'evaluate/b': 'cached' });
  });

  it('runs at most --jobs stages at once, and the whole DAG', async () => {
    const c = compiled(three);
    const r2 = await schedule(c, path.join(dir, 'jobs2'), { jobs: 2 });
    expect(Object.values(r2.status).every((s) => s === 'done')).toBe(true);
    expect(maxInFlight(r2.rec.events)).toBe(2);
    const r1 = await schedule(c, path.join(dir, 'jobs1'), { jobs: 1 });
    expect(maxInFlight(r1.rec.events)).toBe(1);
  });

  it('skips only the dependents of a failed stage', async () => {
    const r = await schedule(compiled('  a: {}\n  bad: { train.seed: 13 }'), path.join(dir, 'fail'), { jobs: 2 });
    expect(r.status).toEqual({
      dataset: 'done',
      'train/a': 'done',
      'evaluate/a': 'done',
      'train/bad': 'failed',
      'evaluate/bad': 'skipped',
      report: 'skipped',
    });
    expect(r.rec.ofType('stageSkipped').map((e) => e.reason)).toEqual([
      'dependency train/bad failed',
      'dependency train/bad failed',
    ]);
  });

  it('--on-error stop starts nothing new after a failure', async () => {
    const r = await schedule(compiled('  bad: { train.seed: 13 }\n  z: {}'), path.join(dir, 'stop'), {
      jobs: 1,
      onError: 'stop',
    });
    expect(r.status).toEqual({
      dataset: 'done',
      'train/bad': 'failed',
      'evaluate/bad': 'skipped',
      'train/z': 'skipped',
      'evaluate/z': 'skipped',
      report: 'skipped',
    });
    expect(r.rec.ofType('stageSkipped').find((e) => e.stageId === 'train/z')!.reason).toMatch(/--on-error stop/);
  });

  it('an interrupted run leaves no entry for the running stage and the rerun resumes from its checkpoint', async () => {
    process.env.PIPE_TEST_STEP_MS = '10';
    const cache = path.join(dir, 'abort');
    const c = compiled('  a: { train.epochs: 300 }');
    const controller = new AbortController();
    const trainFp = (await prepareCompiled(c, { cwd: dir, cacheDir: cache })).fingerprints['train/a']!.value;
    const store = new DirectoryStore(cache);
    const timer = setInterval(() => {
      const ckpt = path.join(store.workPath(trainFp), 'checkpoint.json');
      if (existsSync(ckpt) && JSON.parse(readFileSync(ckpt, 'utf8')).step >= 3) controller.abort();
    }, 20);
    const first = await runCompiled(c, {
      cwd: dir,
      cacheDir: cache,
      runsDir: path.join(dir, 'runs'),
      signal: controller.signal,
      executor: 'local',
    });
    clearInterval(timer);
    expect(first.status).toBe('interrupted');
    expect(first.exitCode).toBe(130);
    expect(first.stages['train/a']!.status).toBe('interrupted');
    expect(await store.lookup(trainFp)).toBeUndefined();
    const run = JSON.parse(await readFile(path.join(first.runDir, 'run.json'), 'utf8'));
    expect(run.status).toBe('interrupted');

    process.env.PIPE_TEST_STEP_MS = '1';
    const second = await schedule(c, cache);
    expect(second.status['train/a']).toBe('done');
    const model = JSON.parse(await readFile(path.join(store.entryDir(trainFp), 'model.json'), 'utf8'));
    expect(model.resumedFrom).toBeGreaterThanOrEqual(3);
  });

  it('two runners of one fingerprint: one computes, the other waits for its entry', async () => {
    const cache = path.join(dir, 'lock');
    const c = compiled('  a: {}');
    const p = await prepareCompiled(c, { cwd: dir, cacheDir: cache });
    const execLog = path.join(dir, 'lock-exec.log');
    process.env.PIPE_TEST_EXEC_LOG = execLog;
    const job = {
      stageId: 'dataset',
      kind: 'dataset',
      fingerprint: p.fingerprints.dataset!.value,
      params: c.dag.stages.dataset!.params,
      inputs: {},
      env: p.env,
    };
    const logs: string[] = [];
    const [one, two] = await Promise.all([
      executeStageJob(job, p.store, { onLog: (l) => logs.push(l) }),
      executeStageJob(job, p.store, { onLog: (l) => logs.push(l) }),
    ]);
    delete process.env.PIPE_TEST_EXEC_LOG;
    expect([one.status, two.status]).toEqual(['done', 'done']);
    expect(readFileSync(execLog, 'utf8').trim().split('\n')).toEqual(['dataset']);
    expect(logs.some((l) => /waiting for .*computing the same stage/.test(l))).toBe(true);
    expect(existsSync(p.store.lockPath(job.fingerprint))).toBe(false);
  });

  it('gc keeps what run directories reference and drops the rest', async () => {
    const cache = path.join(dir, 'gc');
    const runsDir = path.join(dir, 'gc-runs');
    const kept = await runCompiled(compiled('  a: {}', 'gc'), {
      cwd: dir,
      cacheDir: cache,
      runsDir,
      executor: 'local',
    });
    expect(kept.exitCode).toBe(0);
    const orphan = await schedule(compiled('  a: { train.seed: 9 }', 'gc'), cache);
    const dry = await collectGarbage(cache, [runsDir], { dryRun: true });
    expect(dry.removedEntries.sort()).toEqual(
      [orphan.fingerprints['train/a'], orphan.fingerprints['evaluate/a'], orphan.fingerprints.report].sort(),
    );
    expect(await orphan.store.lookup(orphan.fingerprints['train/a']!)).toBeDefined();
    await collectGarbage(cache, [runsDir]);
    expect(await orphan.store.lookup(orphan.fingerprints['train/a']!)).toBeUndefined();
    expect(await orphan.store.lookup(orphan.fingerprints.dataset!)).toBeDefined();
    expect((await orphan.store.listEntries()).length).toBe(4);
  });
});
