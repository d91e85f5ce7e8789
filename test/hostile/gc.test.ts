// Issue 14 §1: `pipe gc` fails closed (a typo, a damaged run.json, a second runs dir or a live lock never
// cost finished or running work).
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireStageLock } from '../../src/runtime/stage-lock.js';
import { DirectoryStore } from '../../src/runtime/store.js';
import { cli, expectNoTrace, makeProject, type Project } from './cli-harness.js';

let p: Project;
let entries: string[];

beforeAll(async () => {
  p = await makeProject();
  const run = await cli('run', p.file, '--progress', 'none');
  expect(run.code).toBe(0);
  entries = await new DirectoryStore(p.cache).listEntries();
  expect(entries.length).toBe(6);
});
afterAll(async () => p.cleanup());

describe('pipe gc fails closed', () => {
  it('refuses a runs dir that does not exist (a typo), naming it, unless --force', async () => {
    const typo = path.join(p.dir, 'rnus');
    const r = await cli('gc', '--runs-dir', typo);
    expect(r.code).toBe(2);
    expect(r.err).toContain(typo);
    expect(r.err).toMatch(/--force/);
    expect(expectNoTrace(r.err)).toBe(true);
    expect((await new DirectoryStore(p.cache).listEntries()).length).toBe(6);
  });

  it('refuses when a run.json cannot be read, naming the file', async () => {
    const broken = path.join(p.runs, 'tiny', '20990101-000000-dead');
    await mkdir(broken, { recursive: true });
    await writeFile(path.join(broken, 'run.json'), '{"pipeline": "tiny", "stages": {');
    try {
      const r = await cli('gc', '--dry-run');
      expect(r.code).toBe(2);
      expect(r.err).toContain(path.join(broken, 'run.json'));
      expect(expectNoTrace(r.err)).toBe(true);
      const runs = await cli('runs');
      expect(runs.err).toContain(`${path.join(broken, 'run.json')} cannot be read`);
      const forced = await cli('gc', '--dry-run', '--force');
      expect(forced.code).toBe(0);
    } finally {
      await import('node:fs/promises').then((fs) => fs.rm(broken, { recursive: true, force: true }));
    }
  });

  it('keeps entries referenced from another runs dir that used the same cache', async () => {
    const other = path.join(p.dir, 'runsB');
    await mkdir(other);
    const r = await cli('gc', '--runs-dir', other);
    expect(r.code).toBe(0);
    expect(r.out).toContain(p.runs);
    expect((await new DirectoryStore(p.cache).listEntries()).length).toBe(6);
  });

  it('never touches a work folder whose lock is held, and says why it kept it', async () => {
    const store = new DirectoryStore(p.cache);
    const fp = 'ab'.repeat(32);
    await mkdir(store.workPath(fp), { recursive: true });
    await writeFile(path.join(store.workPath(fp), 'epoch-0024.png'), 'x');
    const lock = await acquireStageLock(store.lockPath(fp), 'train/live');
    try {
      const r = await cli('gc');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/kept work .*abab.*lock held/);
      expect(await readdir(store.workPath(fp))).toEqual(['epoch-0024.png']);
    } finally {
      await lock!.release();
    }
    const after = await cli('gc');
    expect(after.out).toContain(`deleted work ${fp}`);
  });
});
