// pipe report / check / compare through the real CLI (node --import tsx src/cli.ts), on a run
// directory laid out like the runtime's (dag.json, run.json, stages/<id>/output -> stage outputs).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeReportFixture } from '../../test/fixtures/metrics/report-fixture.js';
import { REPO_DIR } from '../../test/shared-paths.js';
import type { Check } from '../core/formats/metrics-file.js';
import { stageChildCommand } from '../runtime/child-command.js';

let tmp: string;
let runA: string;
let runB: string;

async function fakeRun(dir: string, checks?: Check[]) {
  const fx = await makeReportFixture(path.join(dir, '..', `${path.basename(dir)}-outputs`), { checks });
  const stages: Record<string, unknown> = {
    report: { id: 'report', kind: 'report', configs: [], params: fx.params, inputs: {} as Record<string, string> },
  };
  const record: Record<string, unknown> = {};
  for (const [name, out] of Object.entries(fx.inputs)) {
    const [kind, id] = name.split(':');
    const stageId = `${kind}/${id}`;
    (stages.report as { inputs: Record<string, string> }).inputs[name] = stageId;
    stages[stageId] = { id: stageId, kind, configs: [id], params: {}, inputs: {} };
    await fs.mkdir(path.join(dir, 'stages', kind, id), { recursive: true });
    await fs.symlink(out, path.join(dir, 'stages', kind, id, 'output'));
    record[stageId] = { kind, status: 'done', seconds: 12.5, backend: { name: 'wasm' } };
  }
  record.report = { kind: 'report', status: 'pending' };
  await fs.writeFile(path.join(dir, 'dag.json'), JSON.stringify({ pipeline: 'p', configs: [], stages, deps: {} }));
  await fs.writeFile(path.join(dir, 'run.json'), JSON.stringify({ status: 'running', stages: record }));
}

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await execa('node', [...stageChildCommand().nodeOptions, path.join(REPO_DIR, 'src/cli.ts'), ...argv], {
    cwd: tmp,
    reject: false,
  });
  return { code: r.exitCode ?? -1, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-cli-report-'));
  runA = path.join(tmp, 'runs/facades-perceptual/20260101-000000-aaaa');
  runB = path.join(tmp, 'runs/facades-perceptual/20260102-000000-bbbb');
  await fakeRun(runA);
  await fakeRun(runB, [{ variant: 'perceptual', metric: 'ssim', min: 0.99 }]);
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('pipe report / check / compare', () => {
  it('check says the run is incomplete (exit 2) before a report exists', async () => {
    const r = await cli('check', runA);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/incomplete.*report \(pending\)/);
  });

  it('report re-renders the run directory; check then passes (0) or fails (1)', async () => {
    const r = await cli('report', runA);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/report\.html/);
    for (const f of ['report.html', 'report.md', 'metrics.json']) await fs.access(path.join(runA, f));
    expect(await fs.readFile(path.join(runA, 'report.html'), 'utf8')).toMatch(
      /<td>train\/l1<\/td><td>train<\/td><td>done<\/td><td>12.5<\/td><td>wasm<\/td>/,
    );
    expect((await cli('check', runA)).code).toBe(0);

    expect((await cli('report', runB)).code).toBe(0);
    const fail = await cli('check', runB, '--md');
    expect(fail.code).toBe(1);
    expect(fail.out).toMatch(/perceptual ssim >= 0.99 \| 0\.\d{4} \| >= 0.9900 \| ❌ FAIL/);
  });

  it('check FILE finds the newest run of the pipeline', async () => {
    const yml = path.join(tmp, 'p.yaml');
    await fs.writeFile(yml, 'name: facades-perceptual\ndataset: { source: facades }\n');
    await fs.symlink(path.basename(runB), path.join(tmp, 'runs/facades-perceptual/latest'));
    const r = await cli('check', yml, '--runs-dir', path.join(tmp, 'runs'));
    expect(r.code).toBe(1);
    expect(r.out).toContain(runB);
    // No argument: the newest run under --runs-dir.
    const newest = await cli('check', '--runs-dir', path.join(tmp, 'runs'));
    expect(newest.code).toBe(1);
    expect(newest.out).toContain(runB);
    const none = await cli('check', path.join(tmp, 'absent.yaml'));
    expect(none.code).toBe(2);
  });

  it('compare prints a diff table of two runs', async () => {
    const r = await cli('compare', runA, runB, '--md');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\| variant \| metric \| A \| B \| Δ \(B - A\) \| B vs A \|/);
    expect(r.out).toMatch(/\| perceptual \| SSIM \| 0\.\d{4} \| 0\.\d{4} \| [+-]?0\.\d{4} \| (same|better|worse) \|/);
  });
});
