// The runtime end to end with real child processes, the real cache and run directories, driven
// by the fast test stage kinds in fixtures/kinds.ts (PIPE_STAGE_MODULES).
import { execa } from 'execa';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageChildCommand } from '../../src/runtime/child-command.js';
import { RecordingReporter } from '../../src/runtime/events.js';
import { compileFile } from '../../src/compiler/index.js';
import { planCompiled } from '../../src/runtime/plan.js';
import { runPipeline } from '../../src/runtime/run.js';
import { DirectoryStore } from '../../src/runtime/store.js';
import { REPO_DIR } from '../shared-paths.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const kinds = path.join(here, 'fixtures', 'kinds.ts');
let dir: string;
let execLog: string;
const saved = { ...process.env };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pipe-runtime-'));
  execLog = path.join(dir, 'executed.log');
  process.env.PIPE_STAGE_MODULES = kinds;
  process.env.PIPE_TEST_EXEC_LOG = execLog;
  process.env.PIPE_TEST_STEP_MS = '5';
});
afterAll(async () => {
  process.env = saved;
  await rm(dir, { recursive: true, force: true });
});

/** tiny.yaml with its variants block replaced, written as <dir>/<name>.yaml. */
function pipelineFile(name: string, variants: Record<string, string>): string {
  const base = readFileSync(path.join(here, 'fixtures', 'tiny.yaml'), 'utf8');
  const block = Object.entries(variants)
    .map(([v, body]) => `  ${v}: ${body}`)
    .join('\n');
  const text = base
    .replace(/^variants:\n(?: {2}.*\n)+/m, `variants:\n${block}\n`)
    .replace('name: tiny', `name: ${name}`);
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** Stage ids executed since the last call. */
function takeExecuted(): string[] {
  if (!existsSync(execLog)) return [];
  const lines = readFileSync(execLog, 'utf8').split('\n').filter(Boolean).sort();
  writeFileSync(execLog, '');
  return lines;
}

function opts(name: string, extra: Record<string, unknown> = {}) {
  const reporter = new RecordingReporter();
  return {
    reporter,
    options: {
      cwd: dir,
      cacheDir: path.join(dir, name, 'cache'),
      runsDir: path.join(dir, name, 'runs'),
      jobs: 2,
      reporters: [reporter],
      ...extra,
    },
  };
}

/** Every published entry has its stage.json; nothing half-written lies next to them. */
async function assertCacheConsistent(cacheDir: string): Promise<string[]> {
  const store = new DirectoryStore(cacheDir);
  const entries = await store.listEntries();
  for (const fp of entries) expect(existsSync(path.join(store.entryDir(fp), 'stage.json')), fp).toBe(true);
  for (const shard of readdirSync(cacheDir)) {
    if (/^[0-9a-f]{2}$/.test(shard))
      for (const name of readdirSync(path.join(cacheDir, shard))) expect(name).toMatch(/^[0-9a-f]{64}$/);
  }
  return entries;
}

describe('runtime with real child processes', () => {
  it('reruns nothing when unchanged, and exactly one variant plus the report when one param changes', async () => {
    const first = opts('incremental');
    const file = pipelineFile('incr', { a: '{}', b: '{ train.seed: 2 }' });
    const r1 = await runPipeline(file, first.options);
    expect(r1.status).toBe('done');
    expect(r1.exitCode).toBe(0);
    expect(takeExecuted()).toEqual(['dataset', 'evaluate/a', 'evaluate/b', 'report', 'train/a', 'train/b']);
    expect(first.reporter.ofType('stageFinished')).toHaveLength(6);

    // Run directory: records, pointers into the cache, logs, report copied, latest link.
    const run = JSON.parse(await readFile(path.join(r1.runDir, 'run.json'), 'utf8'));
    expect(run.status).toBe('done');
    expect(run.stages['train/a']).toMatchObject({ status: 'done', kind: 'train', backend: { name: 'test' } });
    expect(readFileSync(path.join(r1.runDir, 'stages', 'train', 'a', 'output', 'model.json'), 'utf8')).toContain(
      '"seed": 1',
    );
    expect(existsSync(path.join(r1.runDir, 'stages', 'train', 'a', 'stage.json'))).toBe(true);
    expect(readFileSync(path.join(r1.runDir, 'logs', 'train', 'a.log'), 'utf8')).toContain('done in');
    expect(existsSync(path.join(r1.runDir, 'report.html'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(r1.runDir, 'metrics.json'), 'utf8'))).toHaveProperty('test.a.ssim');
    expect(readFileSync(path.join(r1.runDir, 'pipeline.yaml'), 'utf8')).toBe(readFileSync(file, 'utf8'));
    expect(JSON.parse(readFileSync(path.join(r1.runDir, 'dag.json'), 'utf8')).fingerprints.report).toBe(
      run.stages.report.fingerprint,
    );
    expect(existsSync(path.join(dir, 'incremental', 'runs', 'incr', 'latest', 'run.json'))).toBe(true);
    // Work folders are gone once a stage is published.
    expect(await new DirectoryStore(first.options.cacheDir).listWork()).toEqual([]);

    const second = opts('incremental');
    const r2 = await runPipeline(file, second.options);
    expect(r2.exitCode).toBe(0);
    expect(takeExecuted()).toEqual([]);
    expect(second.reporter.ofType('stageStarted')).toHaveLength(0);
    expect(second.reporter.ofType('stageCached')).toHaveLength(6);

    const changed = pipelineFile('incr', { a: '{}', b: '{ train.seed: 2, train.epochs: 4 }' });
    const plan = await planCompiled(await compileFile(changed), second.options);
    const why = Object.fromEntries(plan.stages.map((s) => [s.id, s.cached ? 'cached' : s.reason]));
    expect(why).toEqual({
      dataset: 'cached',
      'train/a': 'cached',
      'evaluate/a': 'cached',
      'train/b': 'params-changed',
      'evaluate/b': 'input-changed',
      report: 'params-changed',
    });
    expect(plan.stages.find((s) => s.id === 'train/b')!.changed).toEqual(['train.epochs']);

    const r3 = await runPipeline(changed, opts('incremental').options);
    expect(r3.exitCode).toBe(0);
    expect(takeExecuted()).toEqual(['evaluate/b', 'report', 'train/b']);
    await assertCacheConsistent(first.options.cacheDir);
  });

  it('a failing or crashing stage fails only its dependents and names its log', async () => {
    const o = opts('failing');
    const file = pipelineFile('fail', { ok: '{}', bad: '{ train.seed: 13 }', crash: '{ train.seed: 666 }' });
    const r = await runPipeline(file, o.options);
    expect(r.status).toBe('failed');
    expect(r.exitCode).toBe(1);
    const status = Object.fromEntries(Object.entries(r.stages).map(([id, s]) => [id, s.status]));
    expect(status).toEqual({
      dataset: 'done',
      'train/ok': 'done',
      'evaluate/ok': 'done',
      'train/bad': 'failed',
      'evaluate/bad': 'skipped',
      'train/crash': 'failed',
      'evaluate/crash': 'skipped',
      report: 'skipped',
    });
    expect(r.stages['train/bad']!.error).toBe('train.seed 13 is unlucky in this test kind; pick another seed.');
    expect(r.stages['train/crash']!.error).toMatch(/crashed \(killed by SIGKILL/);
    expect(r.summary).toContain(path.join(r.runDir, 'logs', 'train', 'bad.log'));
    expect(readFileSync(path.join(r.runDir, 'logs', 'train', 'bad.log'), 'utf8')).toContain('unlucky');
    const run = JSON.parse(await readFile(path.join(r.runDir, 'run.json'), 'utf8'));
    expect(run.failed.map((f: { stageId: string }) => f.stageId).sort()).toEqual(['train/bad', 'train/crash']);
    takeExecuted();
    await assertCacheConsistent(o.options.cacheDir);
  });

  it('kill -9 of the whole run mid-stage, then a rerun: no partial cache entry, training resumes', async () => {
    const o = opts('killed');
    // 1000 steps of 20 ms: far longer than it takes to see step 5, so the kill lands mid-stage.
    const file = pipelineFile('kill', { slow: '{ train.seed: 5, train.epochs: 1000 }' });
    // The real CLI in its own process group, killed as a whole like a terminal's kill -9 would.
    const cli = path.join(REPO_DIR, 'src', 'cli.ts');
    const args = ['run', file, '--jobs', '2', '--cache-dir', o.options.cacheDir, '--runs-dir', o.options.runsDir];
    const child = execa('node', [...stageChildCommand().nodeOptions, cli, ...args], {
      cwd: dir,
      detached: true,
      reject: false,
      all: true,
      env: { PIPE_TEST_STEP_MS: '20' },
    });
    const store = new DirectoryStore(o.options.cacheDir);
    // Wait until training has written a few checkpoints in its work folder.
    const deadline = Date.now() + 30_000;
    let step = 0;
    let exited = false;
    void child.then(() => (exited = true));
    while (Date.now() < deadline && step < 5 && !exited) {
      await new Promise((r) => setTimeout(r, 100));
      for (const fp of await store.listWork()) {
        try {
          step = JSON.parse(await readFile(path.join(store.workPath(fp), 'checkpoint.json'), 'utf8')).step;
        } catch {
          // not yet written
        }
      }
    }
    expect(step, exited ? `runner exited early: ${(await child).all}` : 'no checkpoint').toBeGreaterThanOrEqual(5);
    process.kill(-child.pid!, 'SIGKILL');
    const killed = await child;
    expect(killed.signal).toBe('SIGKILL');

    const entries = await assertCacheConsistent(o.options.cacheDir);
    const trainFp = (await store.listWork())[0]!;
    expect(entries).not.toContain(trainFp);
    expect((await stat(path.join(store.workPath(trainFp), 'checkpoint.json'))).isFile()).toBe(true);

    takeExecuted();
    process.env.PIPE_TEST_STEP_MS = '0';
    const r = await runPipeline(file, { ...o.options, jobs: 1 });
    process.env.PIPE_TEST_STEP_MS = '5';
    expect(r.exitCode).toBe(0);
    expect(takeExecuted()).toEqual(['evaluate/slow', 'report', 'train/slow']);
    const model = JSON.parse(await readFile(path.join(store.entryDir(trainFp), 'model.json'), 'utf8'));
    expect(model.resumedFrom).toBeGreaterThanOrEqual(5);
    expect(await readdir(path.join(o.options.cacheDir, 'work'))).toEqual([]);
    await assertCacheConsistent(o.options.cacheDir);
  });
});
