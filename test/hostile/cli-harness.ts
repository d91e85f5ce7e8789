// In-process CLI harness for the hostile-input tests: the real `main`, output captured, a fresh
// project folder with the fast test stage kinds (test/runtime/fixtures/kinds.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from '../../src/cli.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const fixtures = path.join(here, '..', 'runtime', 'fixtures');

export interface Project {
  dir: string;
  file: string;
  cache: string;
  runs: string;
  cleanup(): Promise<void>;
}

/** A temp project with tiny.yaml and PIPE_CACHE_DIR / PIPE_RUNS_DIR pointing inside it. */
export async function makeProject(): Promise<Project> {
  const saved = { ...process.env };
  const dir = await mkdtemp(path.join(tmpdir(), 'pipe-hostile-'));
  const file = path.join(dir, 'tiny.yaml');
  writeFileSync(file, readFileSync(path.join(fixtures, 'tiny.yaml'), 'utf8'));
  process.env.PIPE_STAGE_MODULES = path.join(fixtures, 'kinds.ts');
  process.env.PIPE_TEST_STEP_MS = '1';
  process.env.PIPE_CACHE_DIR = path.join(dir, 'cache');
  process.env.PIPE_RUNS_DIR = path.join(dir, 'runs');
  delete process.env.PIPE_TEST_EXEC_LOG;
  return {
    dir,
    file,
    cache: path.join(dir, 'cache'),
    runs: path.join(dir, 'runs'),
    async cleanup() {
      process.env = saved;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  }
}

/** No stack trace and no internal-error banner in what a user sees. */
export function expectNoTrace(text: string): boolean {
  return !/\n\s+at |internal error/.test(text);
}
