// The plan/run/runs/gc commands through the real CLI entry (in-process `main`), output captured.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const saved = { ...process.env };
let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pipe-cli-'));
  file = path.join(dir, 'tiny.yaml');
  writeFileSync(file, readFileSync(path.join(here, 'fixtures', 'tiny.yaml'), 'utf8'));
  process.env.PIPE_STAGE_MODULES = path.join(here, 'fixtures', 'kinds.ts');
  process.env.PIPE_TEST_STEP_MS = '1';
  process.env.PIPE_CACHE_DIR = path.join(dir, 'cache');
  process.env.PIPE_RUNS_DIR = path.join(dir, 'runs');
  delete process.env.PIPE_TEST_EXEC_LOG;
});
afterAll(async () => {
  process.env = saved;
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, out, err };
}

describe('pipe plan / run / runs / gc', () => {
  it('plan --json lists every stage with fingerprint, cached and why; run then makes them cached', async () => {
    const before = await cli('plan', file, '--json');
    expect(before.code).toBe(0);
    const plan = JSON.parse(before.out);
    expect(plan.stages.map((s: { id: string }) => s.id)).toEqual([
      'dataset',
      'train/a',
      'evaluate/a',
      'train/b',
      'evaluate/b',
      'report',
    ]);
    expect(plan.stages[1]).toMatchObject({
      kind: 'train',
      configs: ['a'],
      variants: ['a'],
      deps: ['dataset'],
      cached: false,
      reason: 'never-run',
    });
    expect(plan.stages[1].fingerprint).toMatch(/^[0-9a-f]{64}$/);

    const run = await cli('run', file, '--jobs', '2', '--progress', 'plain');
    expect(run.code).toBe(0);
    expect(run.out).toContain('[done  ] report');
    expect(run.out).toMatch(/done: 6 ran, 0 cached/);

    const after = await cli('plan', file, '--set', 'train.epochs=4');
    expect(after.out).toMatch(/dataset\s+[0-9a-f]{12}\s+cached/);
    expect(after.out).toMatch(/train\/a\s+[0-9a-f]{12}\s+run\s+params changed: train\.epochs/);

    const runs = await cli('runs');
    expect(runs.out).toMatch(/done .*runs\/tiny\/\d{8}-\d{6}-[0-9a-f]{4}\s+\(6 done\) checks ok$/m);

    const gc = await cli('gc', '--dry-run');
    expect(gc.out).toContain('1 runs reference 6 cache entries; would delete 0 entries and 0 work folders');
  });

  it('usage errors exit 2 with one line and no stack', async () => {
    for (const args of [
      ['run', file, '--jobs', '0'],
      ['run', file, '--executor', 'cloud'],
      ['run', file, '--only', 'nothing*'],
      ['plan', file, '--backend', 'gpu'],
    ]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/^pipe: /);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
