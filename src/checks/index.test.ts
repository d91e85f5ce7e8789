import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeEvaluation } from '../../test/fixtures/metrics/fake-evaluation.js';
import { aggregateRun } from '../report/aggregate.js';
import { writeMetricsJson } from '../core/formats/metrics-file.js';
import { latestRunDir, runChecksForRun } from './index.js';

let tmp: string;
const base = [0.5, 0.6, 0.55, 0.7, 0.65];

async function makeRun(dir: string, checks: Parameters<typeof aggregateRun>[0]['checks'], viaStageLink = false) {
  const run = aggregateRun({
    pipeline: 'p',
    baseline: 'l1',
    configs: [
      { id: 'l1', variant: 'l1', overrides: {} },
      { id: 'perc', variant: 'perc', overrides: {} },
    ],
    evaluations: { l1: fakeEvaluation(base), perc: fakeEvaluation(base.map((v) => v - 0.03)) },
    checks,
  });
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'run.json'), JSON.stringify({ status: 'done' }));
  if (viaStageLink) {
    const entry = path.join(tmp, 'cache', 'abc123');
    await writeMetricsJson(path.join(entry, 'metrics.json'), run);
    await fs.mkdir(path.join(dir, 'stages'), { recursive: true });
    await fs.symlink(entry, path.join(dir, 'stages', 'report'));
  } else {
    await writeMetricsJson(path.join(dir, 'metrics.json'), run);
  }
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-checks-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('runChecksForRun', () => {
  it('exit 0 when every check passes, 1 when one fails', async () => {
    const ok = path.join(tmp, 'runs/p/r1');
    await makeRun(ok, [{ variant: 'perc', metric: 'ssim', max_drop_vs: 'l1', by: 0.05 }]);
    const pass = await runChecksForRun(ok);
    expect(pass.exitCode).toBe(0);
    expect(pass.text).toMatch(/all 1 checks passed/);

    const bad = path.join(tmp, 'runs/p/r2');
    await makeRun(bad, [{ variant: 'perc', metric: 'ssim', max_drop_vs: 'l1', by: 0.01 }], true);
    const fail = await runChecksForRun(bad, { markdown: true });
    expect(fail.exitCode).toBe(1);
    expect(fail.text).toMatch(/❌ FAIL/);
    expect(await latestRunDir(path.join(tmp, 'runs'), 'p')).toBe(bad);
  });

  it('compares with a stored baseline metrics.json', async () => {
    const dir = path.join(tmp, 'runs/p/r3');
    await makeRun(dir, [{ variant: 'perc', metric: 'ssim', max_drop_vs: 'l1', by: 0.01 }]);
    const stored = path.join(tmp, 'baseline.json');
    await writeMetricsJson(stored, fakeEvaluation(base.map((v) => v - 0.04)));
    expect((await runChecksForRun(dir, { baselineFile: stored })).exitCode).toBe(0);
    const broken = path.join(tmp, 'broken.json');
    await fs.writeFile(broken, '{"format": "other"}');
    const r = await runChecksForRun(dir, { baselineFile: broken });
    // Issue 14: a damaged or foreign baseline is incomplete data (exit 2), naming the file and field.
    expect(r.exitCode).toBe(2);
    expect(r.text).toMatch(/broken\.json: format: expected "pipe\.run\/1" or "pipe\.evaluate\/1"/);
  });

  it('exit 2 for a missing or unfinished run, naming what is missing', async () => {
    const missing = await runChecksForRun(path.join(tmp, 'runs/p/nope'));
    expect(missing.exitCode).toBe(2);
    expect(missing.text).toMatch(/does not exist/);
    const partial = path.join(tmp, 'runs/q/r1');
    await fs.mkdir(partial, { recursive: true });
    await fs.writeFile(
      path.join(partial, 'run.json'),
      JSON.stringify({
        stages: { 'train/l1': { status: 'failed', error: 'out of memory' }, dataset: { status: 'done' } },
      }),
    );
    const r = await runChecksForRun(partial);
    expect(r.exitCode).toBe(2);
    expect(r.text).toMatch(/incomplete.*train\/l1 \(failed: out of memory\)/);
  });
});
