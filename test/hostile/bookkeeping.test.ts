// Issue 14 §5 bookkeeping: after kill -9 a run.json no longer says `pending`/`running` forever, leaked
// /tmp/pipe-job-* folders are swept, and of two concurrent runs the waiting one reports the stages the
// other computed as cached (by that worker), not as "ran" with its own worker id.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFile } from '../../src/compiler/index.js';
import { executeStageJob, workerId } from '../../src/runtime/execute-stage.js';
import { prepareCompiled } from '../../src/runtime/prepare.js';
import { runCompiled } from '../../src/runtime/run.js';
import { makeProject, type Project } from './cli-harness.js';

let p: Project;
const deadPid = () => spawnSync('true').pid!;

beforeAll(async () => {
  p = await makeProject();
});
afterAll(async () => p.cleanup());

describe('bookkeeping after kills', () => {
  it('a run killed with -9 is marked interrupted (run and unfinished stages) at the next start', async () => {
    const stale = path.join(p.runs, 'tiny', '20200101-000000-dead');
    await mkdir(stale, { recursive: true });
    const record = {
      pipeline: 'tiny',
      runId: '20200101-000000-dead',
      status: 'running',
      startedAt: '2020-01-01T00:00:00.000Z',
      pid: deadPid(),
      host: hostname(),
      stages: {
        dataset: { kind: 'dataset', status: 'done', fingerprint: 'a'.repeat(64) },
        'train/a': { kind: 'train', status: 'running', fingerprint: 'b'.repeat(64) },
        report: { kind: 'report', status: 'pending', fingerprint: 'c'.repeat(64) },
      },
      failed: [],
    };
    await writeFile(path.join(stale, 'run.json'), JSON.stringify(record));
    const jobDir = path.join(tmpdir(), `pipe-job-${deadPid()}-hostile`);
    const liveJob = path.join(tmpdir(), `pipe-job-${process.pid}-hostile`);
    await mkdir(jobDir, { recursive: true });
    await mkdir(liveJob, { recursive: true });
    try {
      const r = await runCompiled(await compileFile(p.file), { cwd: p.dir, executor: 'local' });
      expect(r.exitCode).toBe(0);
      const after = JSON.parse(await readFile(path.join(stale, 'run.json'), 'utf8'));
      expect(after.status).toBe('interrupted');
      expect(after.stages.dataset.status).toBe('done');
      expect(after.stages['train/a'].status).toBe('interrupted');
      expect(after.stages.report.status).toBe('interrupted');
      expect(existsSync(jobDir)).toBe(false);
      expect(existsSync(liveJob)).toBe(true);
    } finally {
      const { rm } = await import('node:fs/promises');
      await rm(jobDir, { recursive: true, force: true });
      await rm(liveJob, { recursive: true, force: true });
    }
  });
});

describe('two runners of one stage', () => {
  it('the one that waited reports the other worker, not itself, as the one that computed it', async () => {
    const c = await compileFile(p.file);
    const prep = await prepareCompiled(c, { cwd: p.dir, cacheDir: path.join(p.dir, 'cache2') });
    const job = {
      stageId: 'dataset',
      kind: 'dataset',
      fingerprint: prep.fingerprints.dataset!.value,
      params: c.dag.stages.dataset!.params,
      inputs: {},
      env: prep.env,
    };
    const [one, two] = await Promise.all([executeStageJob(job, prep.store), executeStageJob(job, prep.store)]);
    expect([one.status, two.status]).toEqual(['done', 'done']);
    const waited = [one, two].filter((o) => o.computedBy);
    expect(waited).toHaveLength(1);
    expect(waited[0]!.computedBy).toBe(workerId());
  });

  it('of two concurrent runs, each stage "ran" in exactly one; the other reports it cached', async () => {
    process.env.PIPE_TEST_STEP_MS = '15';
    try {
      const c = await compileFile(p.file);
      const cacheDir = path.join(p.dir, 'cache3');
      const [a, b] = await Promise.all([
        runCompiled(c, { cwd: p.dir, cacheDir, runsDir: path.join(p.dir, 'runsA'), executor: 'local' }),
        runCompiled(c, { cwd: p.dir, cacheDir, runsDir: path.join(p.dir, 'runsB'), executor: 'local' }),
      ]);
      for (const id of Object.keys(a.stages)) {
        const statuses = [a.stages[id]!.status, b.stages[id]!.status].sort();
        expect(statuses, id).toEqual(['cached', 'done']);
      }
    } finally {
      process.env.PIPE_TEST_STEP_MS = '1';
    }
  });
});
