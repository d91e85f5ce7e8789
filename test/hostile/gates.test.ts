// Issue 14 §3: quality gates fail closed. Damaged or missing data in metrics.json is exit 2 naming the
// file and the field; never a PASS, never an exit-70 SyntaxError/TypeError.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFile } from './case-builders.js';
import { cli, expectNoTrace } from './cli-harness.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pipe-gates-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

let n = 0;
async function runDirWith(content: unknown): Promise<string> {
  const d = path.join(dir, `run-${n++}`);
  await mkdir(d, { recursive: true });
  await writeFile(path.join(d, 'metrics.json'), typeof content === 'string' ? content : JSON.stringify(content));
  return d;
}

async function expectExit2(args: string[], field: RegExp | string, file: string): Promise<void> {
  const r = await cli(...args);
  expect(r.code, `${args.join(' ')}\n${r.err}`).toBe(2);
  expect(r.err).toContain(file);
  expect(r.err).toMatch(typeof field === 'string' ? new RegExp(field.replace(/[.[\]]/g, '\\$&')) : field);
  expect(expectNoTrace(r.err + r.out)).toBe(true);
}

describe('pipe check / compare fail closed on damaged metrics.json', () => {
  it('a sound file still passes (control)', async () => {
    const d = await runDirWith(runFile());
    const r = await cli('check', d);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/all 1 checks passed/);
  });

  it('a null mean is exit 2 naming the field, not n/a PASS', async () => {
    const d = await runDirWith(runFile({}, 'l1', null));
    await expectExit2(['check', d], /(variants|configs)\.l1\.summary\.ssim\.mean/, path.join(d, 'metrics.json'));
  });

  it('checks of "oops" or null is exit 2, not "No checks defined"', async () => {
    for (const checks of ['oops', null]) {
      const d = await runDirWith(runFile({ checks }));
      await expectExit2(['check', d], /checks/, path.join(d, 'metrics.json'));
    }
  });

  it('a truncated or invalid metrics.json is exit 2 for check and compare', async () => {
    const d = await runDirWith('{"format": "pipe.run/1", "variants": {');
    await expectExit2(['check', d], /not valid JSON/, path.join(d, 'metrics.json'));
    const good = path.join(await runDirWith(runFile()), 'metrics.json');
    await expectExit2(['compare', good, path.join(d, 'metrics.json')], /not valid JSON/, path.join(d, 'metrics.json'));
  });

  it('a mean of "abc", a string min or variants: null is exit 2, not a TypeError', async () => {
    const abc = await runDirWith(runFile({}, 'l1', 'abc'));
    await expectExit2(['check', abc], /(variants|configs)\.l1\.summary\.ssim\.mean/, path.join(abc, 'metrics.json'));
    const strMin = await runDirWith(runFile({ checks: [{ variant: 'l1', metric: 'ssim', min: '0.3' }] }));
    await expectExit2(['check', strMin], 'checks[0].min', path.join(strMin, 'metrics.json'));
    const noVariants = await runDirWith(runFile({ variants: null }));
    await expectExit2(['check', noVariants], /variants/, path.join(noVariants, 'metrics.json'));
    const good = path.join(await runDirWith(runFile()), 'metrics.json');
    await expectExit2(
      ['compare', good, path.join(noVariants, 'metrics.json')],
      /variants/,
      path.join(noVariants, 'metrics.json'),
    );
  });

  it('a check naming constructor fails as an unknown variant (exit 1), no TypeError', async () => {
    const d = await runDirWith(runFile({ checks: [{ variant: 'constructor', metric: 'ssim', max: 0.9 }] }));
    const r = await cli('check', d);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/no variant or config "constructor"/);
    expect(expectNoTrace(r.err + r.out)).toBe(true);
  });

  it('variants named constructor/toString/valueOf/hasOwnProperty compare and check like any name', async () => {
    for (const v of ['constructor', 'toString', 'valueOf', 'hasOwnProperty']) {
      // A has the odd name, B does not: B's lookup must not find Object.prototype's member.
      const a = path.join(await runDirWith(runFile({}, v, 0.6)), 'metrics.json');
      const b = path.join(await runDirWith(runFile({}, 'l1', 0.7)), 'metrics.json');
      const cmp = await cli('compare', a, b);
      expect(cmp.code, cmp.err).toBe(0);
      expect(cmp.out).toMatch(new RegExp(`${v}\\s+SSIM.*only in A`));
      const drop = [{ variant: v, metric: 'ssim', max_drop_vs: v, by: 0.1 }];
      const run = await runDirWith(runFile({ checks: drop }, v, 0.6));
      const chk = await cli('check', run, '--baseline', b);
      expect(chk.code, chk.err).toBe(1);
      expect(chk.out).toMatch(new RegExp(`no variant or config "${v}" in ${b.replace(/[.]/g, '\\.')}`));
      expect(expectNoTrace(chk.err + chk.out)).toBe(true);
    }
  });

  it('a damaged --baseline file is exit 2 naming it', async () => {
    const d = await runDirWith(runFile());
    const bad = path.join(dir, 'baseline.json');
    await writeFile(bad, '{"format": "pipe.run/1", "variants": {"l1": {"summary": {"ssim": {"mean": null}}}}}');
    await expectExit2(['check', d, '--baseline', bad], /baseline|variants/, bad);
  });
});
