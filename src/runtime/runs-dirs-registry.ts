// The cache remembers every runs dir that used it, so `pipe gc` run from one project (or with another
// PIPE_RUNS_DIR) still sees the runs of the others. One small file per runs dir: concurrent runs never
// rewrite a shared list, so no entry is lost to a race.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isFile, writeFileAtomic } from '../core/fs.js';

const REGISTRY = 'runs-dirs';

function entryFile(cacheDir: string, runsDir: string): string {
  const key = createHash('sha256').update(path.resolve(runsDir)).digest('hex').slice(0, 16);
  return path.join(cacheDir, REGISTRY, `${key}.json`);
}

/** Records that `runsDir` holds runs using `cacheDir` (idempotent). */
export async function recordRunsDir(cacheDir: string, runsDir: string): Promise<void> {
  const file = entryFile(cacheDir, runsDir);
  if (await isFile(file)) return;
  await writeFileAtomic(file, `${JSON.stringify({ runsDir: path.resolve(runsDir) })}\n`);
}

export interface RecordedRunsDir {
  runsDir: string;
  /** The registry file, named in messages. */
  file: string;
}

/** Every runs dir recorded in the cache; an unreadable record is returned with runsDir '' so gc can refuse. */
export async function recordedRunsDirs(cacheDir: string): Promise<RecordedRunsDir[]> {
  const dir = path.join(cacheDir, REGISTRY);
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: RecordedRunsDir[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const file = path.join(dir, name);
    try {
      const v = JSON.parse(await readFile(file, 'utf8')) as { runsDir?: unknown };
      out.push({ runsDir: typeof v.runsDir === 'string' ? v.runsDir : '', file });
    } catch {
      out.push({ runsDir: '', file });
    }
  }
  return out;
}

/** Drops the record of a runs dir (gc --force when that dir is gone for good). */
export async function forgetRunsDir(file: string): Promise<void> {
  const { rm } = await import('node:fs/promises');
  await rm(file, { force: true });
}
