// `npm run bench`: seconds per training step for every config on every backend that loads, the same steps in
// PyTorch in the same invocation, plus `pipe validate` time, a cached rerun of an 8-variant sweep and peak RSS.
//   npm run bench [-- --json] [--quick] [--configs a,b] [--backends wasm,cpu] [--threads 1,2] [--steps 5]
//                 [--warmup 2] [--max-step-s 120] [--no-pytorch] [--no-pipe] [--profile]
// --threads is an axis (default: this machine's cores): wasm runs once per count, PyTorch too (torch.set_num_threads),
// and every row is compared with PyTorch at the same count; speed-up is against the first count of the axis.
// Backends that choose their own threads (native, webgpu, cpu) run once, at the largest count.
// Each (config, backend) runs in its own process (bench/step_worker.ts), so state and peak RSS do not leak between
// rows. Machine facts (CPU model, cores, load average) go into the output: timings on a busy machine mean little.
import { execa } from 'execa';
import os from 'node:os';
import path from 'node:path';
import { CONFIGS, QUICK, PERCEPTUAL_WEIGHT, type BenchConfig } from './configs.js';
import { formatProfile, type StepProfile } from './profile.js';
import type { WorkerResult } from './step_worker.js';
import { sweepRerun, validateTime } from './pipe_timings.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PYTHON = process.env.PIPE_BENCH_PYTHON ?? '/usr/bin/python3';
const ALL_BACKENDS = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

interface Options {
  json: boolean;
  configs: BenchConfig[];
  backends?: string[];
  threads: number[];
  steps: number;
  warmup: number;
  maxStepS: number;
  pytorch: boolean;
  pipe: boolean;
  profile: boolean;
}

function parseArgs(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  let configs = argv.includes('--quick') ? CONFIGS.filter((c) => QUICK.includes(c.name)) : CONFIGS;
  const only = value('configs');
  if (only) {
    const names = only.split(',');
    const unknown = names.filter((n) => !CONFIGS.some((c) => c.name === n));
    if (unknown.length)
      throw new Error(`unknown config(s) ${unknown.join(', ')}; known: ${CONFIGS.map((c) => c.name).join(', ')}`);
    configs = CONFIGS.filter((c) => names.includes(c.name));
  }
  return {
    json: argv.includes('--json'),
    configs,
    backends: value('backends')?.split(','),
    threads: parseThreads(value('threads')),
    steps: Number(value('steps') ?? 5),
    warmup: Number(value('warmup') ?? 2),
    maxStepS: Number(value('max-step-s') ?? 120),
    pytorch: !argv.includes('--no-pytorch'),
    pipe: !argv.includes('--no-pipe'),
    profile: argv.includes('--profile'),
  };
}

function parseThreads(text: string | undefined): number[] {
  if (text === undefined) return [os.availableParallelism()];
  const counts = text.split(',').map(Number);
  if (!counts.length || counts.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--threads expects whole numbers >= 1 separated by commas, e.g. 1,2; got "${text}"`);
  return [...new Set(counts)];
}

/** Thread counts a backend is timed at: only wasm's are pipe's to choose. */
const countsFor = (backend: string, o: Options): number[] =>
  backend === 'wasm' ? o.threads : [Math.max(...o.threads)];

/** Which backends load here, each probed in a child process (a failed native import can leave state behind). */
async function loadableBackends(candidates: string[]): Promise<{ ok: string[]; skipped: Record<string, string> }> {
  const ok: string[] = [];
  const skipped: Record<string, string> = {};
  for (const b of candidates) {
    const script = `import { initBackend } from './src/ml/backend.ts'; const i = await initBackend(${JSON.stringify(b)}); console.log(JSON.stringify({ name: i.name }));`;
    const r = await execa('node', ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      reject: false,
      timeout: 120_000,
    });
    if (r.exitCode === 0) ok.push(b);
    else
      skipped[b] = (
        r.stderr.match(/could not be loaded \(([^)]*)\)/)?.[1] ??
        r.stderr.split('\n').find((l) => l.trim()) ??
        'failed'
      ).slice(0, 200);
  }
  return { ok, skipped };
}

async function runWorker(c: BenchConfig, backend: string, threads: number, o: Options): Promise<WorkerResult> {
  const args = [
    '--import',
    'tsx',
    'bench/step_worker.ts',
    c.name,
    backend,
    '--threads',
    String(threads),
    '--warmup',
    String(o.warmup),
    '--steps',
    String(o.steps),
    '--max-step-s',
    String(o.maxStepS),
  ];
  if (o.profile) args.push('--profile');
  // The worker stops itself after one step over --max-step-s, but cannot interrupt a step that never ends (webgpu on
  // a software rasteriser): a watchdog kills it when no step finishes within twice the limit (plus start-up).
  const patience = (2 * o.maxStepS + 90) * 1000;
  const child = execa('node', args, { cwd: ROOT, reject: false, maxBuffer: 64 * 1024 * 1024 });
  let timedOut = false;
  let timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), patience);
  child.stderr?.on('data', (chunk: Buffer) => {
    if (/^step \d+\/\d+/m.test(chunk.toString())) {
      clearTimeout(timer);
      timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), patience);
    }
  });
  const r = await child;
  clearTimeout(timer);
  const line = String(r.stdout)
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (r.exitCode !== 0 || !line) {
    const stderr = String(r.stderr);
    const errLine = stderr.split('\n').find((l) => /\b\w*Error\b/.test(l));
    const why = timedOut
      ? `no step finished within ${Math.round(patience / 1000)} s`
      : (errLine?.trim() ?? (stderr.trim().split('\n').slice(-1)[0] || `exit ${r.exitCode}`));
    return {
      config: c.name,
      backend,
      threads,
      times_s: [],
      median_s: null,
      max_rss_mb: 0,
      tensors_after: 0,
      dispatches: null,
      skipped: why.slice(0, 300),
    };
  }
  return JSON.parse(line) as WorkerResult;
}

/** PyTorch seconds per step, by config, at `threads` (torch.set_num_threads). */
async function runPytorch(
  configs: BenchConfig[],
  threads: number,
  o: Options,
): Promise<{ times: Record<string, number | null>; note?: string }> {
  const times: Record<string, number | null> = Object.fromEntries(configs.map((c) => [c.name, null]));
  if (!o.pytorch) return { times, note: 'skipped (--no-pytorch)' };
  const probe = await execa(PYTHON, ['-c', 'import torch'], { reject: false });
  if (probe.exitCode !== 0) return { times, note: `PyTorch not found (${PYTHON} -c "import torch" failed)` };
  const payload = JSON.stringify(configs.map((c) => ({ ...c, perceptual_weight: PERCEPTUAL_WEIGHT })));
  // OpenMP's default active waiting collapses when the cores are shared (20x slower steps measured here); passive
  // waiting costs nothing on an idle machine. An explicit OMP_WAIT_POLICY in the environment wins.
  const env = { OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };
  const r = await execa(
    PYTHON,
    [
      'bench/pytorch_step.py',
      payload,
      '--threads',
      String(threads),
      '--warmup',
      String(o.warmup),
      '--steps',
      String(o.steps),
    ],
    {
      cwd: ROOT,
      reject: false,
      env,
    },
  );
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const row = JSON.parse(line) as { config: string; pytorch_s: number };
    times[row.config] = row.pytorch_s;
  }
  return {
    times,
    note: r.exitCode === 0 ? undefined : `pytorch_step.py failed: ${r.stderr.trim().split('\n').slice(-1)[0]}`,
  };
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

const fmt = (x: number | null | undefined, digits = 3): string => (x == null ? '—' : x.toFixed(digits));
const ratioOf = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a != null && b != null && b > 0 ? Number((a / b).toFixed(2)) : null;

type PytorchTimes = Map<number, { times: Record<string, number | null>; note?: string }>;

/** One output row: a (config, backend, threads) timing beside PyTorch at the same thread count. */
interface Row {
  config: string;
  backend: string;
  threads: number | null;
  ours_s: number | null;
  /** ours at the axis's first count / ours at this count (same config and backend). */
  speedup: number | null;
  pytorch_s: number | null;
  pytorch_speedup: number | null;
  /** ours_s / pytorch_s at the same thread count. */
  ratio: number | null;
  /** Compute dispatches per step (webgpu only). */
  dispatches: number | null;
  skipped?: string;
  max_rss_mb: number;
  /** wasm only: the WebAssembly memory's high-water mark. */
  wasm_heap_mb?: number;
}

/** Times every config on every backend, each thread count right after the previous one (ratios under one load). */
async function timeOurs(o: Options, backends: string[], log: (s: string) => void): Promise<WorkerResult[]> {
  const rows: WorkerResult[] = [];
  for (const c of o.configs) {
    for (const b of backends) {
      for (const t of countsFor(b, o)) {
        log(`timing ${c.name} on ${b}, ${t} thread(s) ...`);
        const r = await runWorker(c, b, t, o);
        rows.push(r);
        log(
          `  ${fmt(r.median_s)} s/step on ${r.threads ?? 'its own'} thread(s)${r.skipped ? ` (${r.skipped})` : ''}, peak RSS ${r.max_rss_mb} MB${r.wasm_heap_mb ? `, wasm heap ${r.wasm_heap_mb} MB` : ''}`,
        );
      }
    }
  }
  return rows;
}

async function timePytorch(o: Options, log: (s: string) => void): Promise<PytorchTimes> {
  const out: PytorchTimes = new Map();
  for (const t of o.threads) {
    log(`timing PyTorch, ${t} thread(s) ...`);
    const py = await runPytorch(o.configs, t, o);
    if (py.note) log(`PyTorch: ${py.note}`);
    out.set(t, py);
  }
  return out;
}

function toRows(results: WorkerResult[], py: PytorchTimes, o: Options): Row[] {
  const first = o.threads[0]!;
  const base = (r: WorkerResult) =>
    results.find((x) => x.config === r.config && x.backend === r.backend && x.threads === first)?.median_s;
  return results.map((r) => {
    // Compared with PyTorch at the count the backend ran on (the requested one where it chooses its own).
    const at = r.threads ?? Math.max(...o.threads);
    const pt = py.get(at)?.times[r.config] ?? null;
    const pt1 = py.get(first)?.times[r.config] ?? null;
    return {
      config: r.config,
      backend: r.backend,
      threads: r.threads,
      ours_s: r.median_s,
      speedup: r.backend === 'wasm' ? ratioOf(base(r), r.median_s) : null,
      pytorch_s: pt,
      pytorch_speedup: ratioOf(pt1, pt),
      ratio: ratioOf(r.median_s, pt),
      dispatches: r.dispatches ?? null,
      ...(r.skipped ? { skipped: r.skipped } : {}),
      max_rss_mb: r.max_rss_mb,
      ...(r.wasm_heap_mb ? { wasm_heap_mb: r.wasm_heap_mb } : {}),
    };
  });
}

function table(
  rows: Row[],
  py: PytorchTimes,
  o: Options,
  m0: Record<string, unknown>,
  m1: Record<string, unknown>,
): string[] {
  const notes = [...py.entries()].filter(([, p]) => p.note).map(([t, p]) => `${t} thread(s): ${p.note}`);
  const lines = [
    `Seconds per training step (median of ${o.steps} after ${o.warmup} warm-up; batch 1). PyTorch (CPU) at the same thread count${notes.length ? ` — ${notes.join('; ')}` : ''}.`,
    `Speed-up is against ${o.threads[0]} thread(s) of the same config and backend.`,
    `Machine: ${m1.cpu}, ${m1.cores} cores; load average at start ${(m0.loadavg as number[]).join(' ')}, at end ${(m1.loadavg as number[]).join(' ')}.`,
    '',
    '| config | backend | threads | ours s/step | speed-up | PyTorch s/step | PyTorch speed-up | ratio ours/PyTorch | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const x = (v: number | null) => (v == null ? '—' : `${v.toFixed(2)}×`);
  for (const r of rows) {
    lines.push(
      `| ${r.config} | ${r.backend} | ${r.threads ?? '—'} | ${fmt(r.ours_s)}${r.skipped ? ` (${r.skipped})` : ''} | ${x(r.speedup)} | ${fmt(r.pytorch_s)} | ${x(r.pytorch_speedup)} | ${x(r.ratio)} | ${r.max_rss_mb || '—'} |`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const log = (s: string) => {
    if (!o.json) process.stderr.write(`${s}\n`);
  };
  const m0 = machine();
  log(
    `machine: ${m0.cpu}, ${m0.cores} cores, Node ${m0.node}, load ${(m0.loadavg as number[]).join(' ')}; threads ${o.threads.join(', ')}`,
  );
  const { ok: backends, skipped } = await loadableBackends(o.backends ?? ALL_BACKENDS);
  for (const [b, why] of Object.entries(skipped)) log(`backend ${b}: not available (${why})`);
  const results = await timeOurs(o, backends, log);
  const py = await timePytorch(o, log);
  const pipeTimes = o.pipe ? { validate: await validateTime(ROOT), sweep: await sweepRerun(ROOT, log) } : undefined;
  const m1 = machine();
  const rows = toRows(results, py, o);

  if (o.json) {
    for (const r of rows) {
      const { max_rss_mb: _m, skipped: _s, ...row } = r;
      process.stdout.write(JSON.stringify(row) + '\n');
    }
    for (const r of rows)
      process.stdout.write(
        JSON.stringify({
          measure: 'peak_rss',
          config: r.config,
          backend: r.backend,
          threads: r.threads,
          mb: r.max_rss_mb,
          wasm_heap_mb: r.wasm_heap_mb,
        }) + '\n',
      );
    if (pipeTimes) {
      process.stdout.write(
        JSON.stringify({ measure: 'validate', seconds: pipeTimes.validate.seconds, how: pipeTimes.validate.how }) +
          '\n',
      );
      process.stdout.write(
        JSON.stringify({
          measure: 'sweep_cached_rerun',
          variants: 8,
          seconds: pipeTimes.sweep.seconds,
          note: pipeTimes.sweep.note ?? null,
        }) + '\n',
      );
    }
    process.stdout.write(JSON.stringify({ measure: 'machine', ...m1, loadavg_start: m0.loadavg }) + '\n');
    return;
  }

  const lines = table(rows, py, o, m0, m1);
  if (pipeTimes) {
    lines.push(
      '',
      `pipe validate pipelines/*.yaml: ${fmt(pipeTimes.validate.seconds, 2)} s (${pipeTimes.validate.how})`,
    );
    lines.push(
      `cached rerun of an 8-variant sweep: ${fmt(pipeTimes.sweep.seconds, 2)} s${pipeTimes.sweep.note ? ` (${pipeTimes.sweep.note})` : ''}`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (o.profile) {
    for (const r of results) {
      if (r.profile)
        process.stdout.write(
          `\n### ${r.config} on ${r.backend}, ${r.threads ?? '—'} thread(s)\n\n${formatProfile(r.profile as StepProfile)}\n`,
        );
    }
  }
}

await main();
