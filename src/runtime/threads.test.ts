import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { compilePipeline, prepareCompiled } from './prepare.js';
import { localise } from './queue/worker.js';
import { resolveThreads } from './threads.js';

describe('resolveThreads', () => {
  it('takes --threads, else PIPE_THREADS, else the pipeline key, else cores / jobs', () => {
    const all = { flag: 3, env: '5', pipeline: 7, jobs: 2, cores: 8 } as const;
    expect(resolveThreads(all)).toEqual({ threads: 3, source: 'flag' });
    expect(resolveThreads({ ...all, flag: undefined })).toEqual({ threads: 5, source: 'env' });
    expect(resolveThreads({ ...all, flag: undefined, env: 'auto' })).toEqual({ threads: 7, source: 'pipeline' });
    expect(resolveThreads({ ...all, flag: undefined, env: '', pipeline: 'auto' })).toEqual({
      threads: 4,
      source: 'default',
    });
  });

  it('by default never gives side-by-side stages more threads than there are cores', () => {
    for (const cores of [1, 2, 3, 8, 16]) {
      for (let jobs = 1; jobs <= 2 * cores; jobs++) {
        const { threads } = resolveThreads({ jobs, cores });
        expect(threads).toBeGreaterThanOrEqual(1);
        if (jobs <= cores) expect(jobs * threads, `${jobs} jobs on ${cores} cores`).toBeLessThanOrEqual(cores);
      }
    }
    expect(resolveThreads({ jobs: 1, cores: 2 }).threads).toBe(2);
    expect(resolveThreads({ jobs: 2, cores: 2 }).threads).toBe(1);
  });

  it('rejects a PIPE_THREADS that is not a whole number >= 1 as a usage error', () => {
    for (const env of ['0', '-1', '1.5', 'many']) {
      expect(() => resolveThreads({ env }), env).toThrow(
        expect.objectContaining({ code: 'PIPE_BAD_THREADS', exitCode: 2 }),
      );
    }
  });
});

describe('the thread count', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function prepared(options: string, opts: { threads?: number; jobs?: number } = {}) {
    const dir = await mkdtemp(path.join(tmpdir(), 'pipe-threads-'));
    dirs.push(dir);
    const text = `name: th\n${options}dataset: { source: facades }\ntrain: { epochs: 1 }\nvariants: { a: {}, b: { train.seed: 2 } }\n`;
    await writeFile(path.join(dir, 'th.yaml'), text);
    const compiled = await compilePipeline(path.join(dir, 'th.yaml'));
    const p = await prepareCompiled(compiled, { cacheDir: path.join(dir, 'cache'), ...opts });
    return {
      threads: p.env.threads,
      webgpu: p.env.webgpu,
      fps: Object.fromEntries(Object.entries(p.fingerprints).map(([id, f]) => [id, f.value])),
    };
  }

  it('reaches the stage environment but no fingerprint (--threads, PIPE_THREADS, backend_options.threads, --jobs)', async () => {
    vi.stubEnv('PIPE_THREADS', '');
    const base = await prepared('', { jobs: 1 });
    const flag = await prepared('', { threads: 3 });
    const key = await prepared('backend_options: { threads: 5 }\n');
    const jobs = await prepared('', { jobs: 64 });
    vi.stubEnv('PIPE_THREADS', '6');
    const env = await prepared('backend_options: { threads: 5 }\n');
    vi.unstubAllEnvs();
    expect([flag.threads, key.threads, jobs.threads, env.threads]).toEqual([3, 5, 1, 6]);
    expect(base.threads).toBeGreaterThanOrEqual(1);
    for (const other of [flag, key, jobs, env]) expect(other.fps).toEqual(base.fps);
  });

  it('backend_options.webgpu reaches the stage environment, with its defaults, but no fingerprint', async () => {
    const base = await prepared('');
    const set = await prepared('backend_options: { webgpu: { conv_autotune: true, submit_batch: 64 } }\n');
    expect(base.webgpu).toEqual({
      kernels: 'pipe',
      subgroups: true,
      f16: false,
      submit_batch: null,
      backbone_conv: 'stock',
      conv_autotune: false,
    });
    expect(set.webgpu).toMatchObject({ conv_autotune: true, submit_batch: 64, f16: false });
    expect(set.fps).toEqual(base.fps);
  });

  it("is replaced by the queue worker's own count", () => {
    const job = {
      stageId: 'train/a',
      kind: 'train',
      fingerprint: 'a'.repeat(64),
      params: {},
      inputs: {},
      env: { projectDir: '/p', backend: 'auto' as const, downloadDir: '/d', threads: 16 },
    };
    expect(localise(job, { redis: 'redis://x', cacheDir: '/c', threads: 2 }).env.threads).toBe(2);
    expect(localise(job, { redis: 'redis://x', cacheDir: '/c' }).env.threads).toBe(16);
  });
});
