import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateFiles } from './validate.js';

const quickstart = fileURLToPath(new URL('../../pipelines/quickstart.yaml', import.meta.url));

async function run(files: string[], set?: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await validateFiles(
    files,
    { set },
    (l) => out.push(l),
    (l) => err.push(l),
  );
  return { code, out, err };
}

describe('pipe validate', () => {
  it('prints ok with config and stage counts', async () => {
    expect(await run([quickstart])).toEqual({ code: 0, out: [`${quickstart}: ok (2 configs, 6 stages)`], err: [] });
  });

  it('prints every diagnostic of a bad file, keeps going, and exits 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pipe-validate-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: x\ndataset: { source: facades, crop_size: 300 }\ntrain: { epocs: 1 }\n');
    const r = await run([bad, quickstart]);
    expect(r.code).toBe(1);
    expect(r.err.join('\n').split('\n')).toEqual([
      `${bad}:3:10: train.epocs: unknown key "epocs" (did you mean "epochs"?)`,
    ]);
    expect(r.out).toEqual([`${quickstart}: ok (2 configs, 6 stages)`]);
  });

  it('applies --set and reports a missing file as a user error', async () => {
    const r = await run([quickstart], ['sweep.grid={train.seed: [1, 2]}']);
    expect(r.out).toEqual([`${quickstart}: ok (4 configs, 10 stages)`]);
    const missing = await run(['/nonexistent/p.yaml']);
    expect(missing).toEqual({
      code: 1,
      out: [],
      err: ['/nonexistent/p.yaml: cannot read the pipeline file (no such file); check the path'],
    });
  });
});
