import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DirectoryStore } from './store.js';

const FP = 'ab'.padEnd(64, '0');

async function filled(store: DirectoryStore, content: string): Promise<string> {
  const dir = path.join(await store.workDir(FP), `out-${content}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'out.txt'), content);
  return dir;
}

describe('DirectoryStore', () => {
  it('publishes a filled folder atomically under <fp[0:2]>/<fp> with stage.json', async () => {
    const store = new DirectoryStore(await mkdtemp(path.join(tmpdir(), 'pipe-store-')));
    expect(await store.lookup(FP)).toBeUndefined();
    const entry = await store.publish(FP, await filled(store, 'one'), { seconds: 1 });
    expect(entry).toBe(path.join(store.root, 'ab', FP));
    expect(await store.lookup(FP)).toBe(entry);
    expect(await store.readRecord(FP)).toEqual({ seconds: 1 });
    expect(await store.listEntries()).toEqual([FP]);
  });

  it('keeps the first publisher of a fingerprint; the loser discards its copy', async () => {
    const store = new DirectoryStore(await mkdtemp(path.join(tmpdir(), 'pipe-store-')));
    const first = await filled(store, 'first');
    const second = await filled(store, 'second');
    await store.publish(FP, first, {});
    await store.publish(FP, second, {});
    expect(await readFile(path.join(store.entryDir(FP), 'out.txt'), 'utf8')).toBe('first');
    expect(existsSync(second)).toBe(false);
  });

  it('replaces an entry when asked (--force)', async () => {
    const store = new DirectoryStore(await mkdtemp(path.join(tmpdir(), 'pipe-store-')));
    await store.publish(FP, await filled(store, 'old'), {});
    await store.publish(FP, await filled(store, 'new'), {}, { replace: true });
    expect(await readFile(path.join(store.entryDir(FP), 'out.txt'), 'utf8')).toBe('new');
  });

  it('treats an entry without stage.json as a miss, removes it and warns', async () => {
    const warnings: string[] = [];
    const store = new DirectoryStore(await mkdtemp(path.join(tmpdir(), 'pipe-store-')), {
      warn: (m) => warnings.push(m),
    });
    await mkdir(store.entryDir(FP), { recursive: true });
    await writeFile(path.join(store.entryDir(FP), 'half.bin'), 'x');
    expect(await store.lookup(FP)).toBeUndefined();
    expect(existsSync(store.entryDir(FP))).toBe(false);
    expect(warnings[0]).toMatch(/has no stage\.json/);
  });
});
