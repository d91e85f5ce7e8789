// Every directory option is checked before any work starts: a --runs-dir that is a file used to fail
// deep inside with ENOTDIR and a stack, a --cache-dir that is a file passed `plan`, and /proc/x hung.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';

const SYSTEM = ['/proc', '/sys', '/dev'];

function bad(label: string, dir: string, why: string): UserError {
  return new UserError(
    'PIPE_BAD_DIRECTORY',
    `${label} ${JSON.stringify(dir)} ${why}. Give a folder pipe can create or write to.`,
    2,
  );
}

/** The path as far as it exists, with symlinks resolved, and the part that does not exist yet. */
async function existingAncestor(dir: string): Promise<{ existing: string; isDir: boolean; missing: boolean }> {
  let p = path.resolve(dir);
  let missing = false;
  for (;;) {
    const st = await stat(p).catch((e: NodeJS.ErrnoException) => e);
    if (!(st instanceof Error)) return { existing: await realpath(p).catch(() => p), isDir: st.isDirectory(), missing };
    if (st.code !== 'ENOENT' || path.dirname(p) === p) return { existing: p, isDir: false, missing };
    missing = true;
    p = path.dirname(p);
  }
}

/** Throws PIPE_BAD_DIRECTORY (exit 2) unless `dir` is a folder or can be created as one. */
export async function checkDirectory(label: string, dir: string): Promise<void> {
  const abs = path.resolve(dir);
  const a = await existingAncestor(abs);
  const inSystem = (p: string) => SYSTEM.some((s) => p === s || p.startsWith(`${s}/`));
  if (inSystem(abs) || inSystem(a.existing)) throw bad(label, dir, `is in a system folder (${SYSTEM.join(', ')})`);
  if (!a.isDir) {
    throw bad(
      label,
      dir,
      a.missing ? `is under a file (${a.existing}), not a directory` : 'is a file, not a directory',
    );
  }
}

export interface DirOptions {
  cacheDir?: string;
  runsDir?: string;
  dataDir?: string;
  weightsDir?: string;
}

const LABELS = {
  cacheDir: ['--cache-dir', 'PIPE_CACHE_DIR'],
  runsDir: ['--runs-dir', 'PIPE_RUNS_DIR'],
  dataDir: ['--data-dir', 'PIPE_DATA_DIR'],
  weightsDir: ['--weights-dir', 'PIPE_WEIGHTS_DIR'],
} as const;

/** Checks the effective location (flag, else environment, else default) of each named option. */
export async function checkDirOptions(o: DirOptions, which: (keyof DirOptions)[]): Promise<void> {
  const { resolveLocations } = await import('../runtime/settings.js');
  const loc = resolveLocations(o);
  for (const key of which) {
    const dir = loc[key];
    if (!dir) continue;
    const [flag, env] = LABELS[key];
    const label = o[key] !== undefined ? flag : process.env[env] ? env : `${flag} (default)`;
    await checkDirectory(label, dir);
  }
}
