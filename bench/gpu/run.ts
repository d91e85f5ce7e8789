// bench/gpu's driver (bench/gpu/run.sh calls it; see there for what a GPU host needs). Prints JSON lines, the most
// important first, so that a run cut short (--budget-s, or a device's time limit) keeps what matters most:
// 1. {config, backend, ours_s, pytorch_s, ratio, host_s, dispatches} for each GPU config (webgpu vs PyTorch CUDA),
//    each followed by {config, measure: 'gpu_times', ...}: the GPU's time per step in pipe's programs (timestamp
//    queries, bench/gpu/step.ts --gpu-times) beside PyTorch's in its CUDA kernels (torch.profiler,
//    bench/pytorch_step.py --profile), the 12 largest of each: where the ratio comes from.
// 2. {measure: 'pipeline', ...}: bench/gpu/facades-gpu-check.yaml run end to end on webgpu.
// 3. Each config again with one setting changed ({variant}): every config with each conv product on the fastest of
//    pipe's kernels and tfjs's, timed on this GPU (PIPE_WEBGPU_CONV_AUTOTUNE=1); the perceptual config with VGG's
//    convolutions on pipe's kernels (PIPE_WEBGPU_BACKBONE_CONV=pipe); the first config without subgroups where the
//    adapter has them (PIPE_WEBGPU_SUBGROUPS=0), with f16 forward convolutions where it has shader-f16
//    (PIPE_WEBGPU_F16=1), submitting per 64 dispatches instead of tfjs's 15 (PIPE_WEBGPU_SUBMIT_BATCH=64), and on
//    tfjs's stock kernels alone (PIPE_WEBGPU_KERNELS=stock). So one run also says what each is worth here.
//    Then {measure: 'recommended', webgpu, ...} (recommend.ts): the settings that made every config they were
//    tried on faster, as the pipeline's backend_options.webgpu (also printed as YAML on stderr).
// 4. {measure: 'conv_kernels', ...} (bench/gpu/conv-kernels.ts): each convolution product of the goal's heaviest
//    layers on each of pipe's kernels and on tfjs's, timed on the GPU.
// --budget-s N: once N seconds have passed, the remaining parts are skipped, each with a {measure: 'skipped'} line.
// --dry-run: the tiny configs and a tiny pipeline (a software rasteriser such as llvmpipe manages them).
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configByName, GPU, GPU_DRY_RUN } from '../configs.js';
import { asYaml, recommend, type Timed } from './recommend.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundled = import.meta.url.endsWith('.mjs'); // make-bundle.sh compiles this file to run.mjs
const repo = path.resolve(here, '../..');
const argv = process.argv.slice(2);
const opt = (name: string, def: string) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1]! : def);
const dry = argv.includes('--dry-run');
const dataDir = path.resolve(opt('data-dir', path.join(repo, '../shared/datasets')));
const weightsDir = path.resolve(opt('weights-dir', path.join(repo, '../shared/weights')));
const python = opt('python', 'python3');
const backend = opt('backend', 'webgpu');
const steps = Number(opt('steps', dry ? '2' : '20'));
const log = (s: string) => process.stderr.write(`bench:gpu: ${s}\n`);
const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

/** node + args that run a TypeScript entry of this repo (sources via tsx, or the bundle's compiled .mjs). */
function nodeArgs(tsFile: string, mjsFile: string): string[] {
  return bundled ? [path.join(here, mjsFile)] : ['--import', 'tsx', path.join(repo, tsFile)];
}

const PROFILED_STEPS = '3';

interface PytorchProfile {
  busy_ms: number;
  top: [string, number, number][];
}

async function pytorchTimes(
  configs: string[],
): Promise<{ times: Record<string, number>; profiles: Record<string, PytorchProfile>; note?: string }> {
  const probe = await execa(python, ['-c', 'import torch; print(torch.__version__, torch.cuda.is_available())'], {
    reject: false,
  });
  if (probe.exitCode !== 0 || !/ True$/.test(probe.stdout.trim())) {
    return {
      times: {},
      profiles: {},
      note: `no CUDA PyTorch via ${python} (${(probe.stdout || probe.stderr).trim().split('\n').at(-1)}): pytorch_s is null`,
    };
  }
  const payload = JSON.stringify(configs.map((n) => ({ ...configByName(n), perceptual_weight: 15 })));
  const r = await execa(
    python,
    [
      path.join(here, bundled ? 'pytorch_step.py' : '../pytorch_step.py'),
      payload,
      '--device',
      'cuda',
      '--warmup',
      '3',
      '--steps',
      String(steps),
      '--profile',
      PROFILED_STEPS,
    ],
    { reject: false },
  );
  const times: Record<string, number> = {};
  const profiles: Record<string, PytorchProfile> = {};
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const o = JSON.parse(line) as { config: string; pytorch_s: number; profile?: PytorchProfile };
    times[o.config] = o.pytorch_s;
    if (o.profile) profiles[o.config] = o.profile;
  }
  return {
    times,
    profiles,
    ...(r.exitCode ? { note: `pytorch_step.py failed: ${r.stderr.trim().split('\n').at(-1)}` } : {}),
  };
}

async function ours(
  config: string,
  extraEnv: Record<string, string> = {},
  extraArgs: string[] = [],
): Promise<Record<string, unknown>> {
  const env = { ...process.env, PIPE_WEIGHTS_DIR: weightsDir, ...extraEnv };
  const r = await execa(
    process.execPath,
    [...nodeArgs('bench/gpu/step.ts', 'step.mjs'), config, backend, '--steps', String(steps), ...extraArgs],
    { env, reject: false, timeout: 30 * 60_000 },
  );
  if (r.exitCode !== 0) return { error: r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400) };
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const ratio = (oursS: unknown, pytorch: number | null) =>
  typeof oursS === 'number' && pytorch ? Number((oursS / pytorch).toFixed(2)) : null;

/** The same step with one setting changed (`name=value`), against the same PyTorch time. */
async function variant(config: string, setting: string, pytorch: number | null): Promise<Timed> {
  const [name, value] = setting.split('=') as [string, string];
  const o = await ours(config, { [name]: value }, ['--gpu-times', PROFILED_STEPS]);
  const g = (o.gpu_times ?? {}) as { busy_ms?: number; programs?: unknown[] };
  emit({
    config,
    backend: o.backend ?? backend,
    variant: setting,
    ours_s: o.ours_s ?? null,
    pytorch_s: pytorch,
    ratio: ratio(o.ours_s, pytorch),
    host_s: o.host_s ?? null,
    dispatches: o.dispatches ?? null,
    gpu_busy_ms: g.busy_ms ?? null,
    gpu_top: g.programs?.slice(0, 6) ?? null,
    ...(o.conv_autotune ? { conv_autotune: o.conv_autotune } : {}),
    f16: o.f16 ?? null,
    ...(o.error ? { error: o.error } : {}),
  });
  return { config, variant: setting, ours_s: typeof o.ours_s === 'number' ? o.ours_s : null };
}

/** bench/gpu/conv-kernels.ts: each conv product of the goal's layers, pipe's kernel against tfjs's, GPU-timed. */
async function convKernels(): Promise<void> {
  const r = await execa(
    process.execPath,
    [...nodeArgs('bench/gpu/conv-kernels.ts', 'conv-kernels.mjs'), ...(dry ? ['--dry-run'] : [])],
    { reject: false, timeout: 10 * 60_000 },
  );
  for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) {
    emit({ measure: 'conv_kernels', ...(JSON.parse(line) as object) });
  }
  if (r.exitCode !== 0) log(r.stderr.trim().split('\n').at(-1) ?? `conv-kernels exited ${r.exitCode}`);
}

async function pipeline(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-bench-gpu-'));
  const tiny = [
    'dataset.load_size=36',
    'dataset.crop_size=32',
    'dataset.max_images=4',
    'model.generator=unet',
    'model.ngf=4',
    'model.ndf=4',
    'evaluate.max_images=4',
    'evaluate.metrics=[ssim, psnr, fps]',
  ];
  const cli = bundled ? [path.join(here, '../../dist/cli.js')] : ['--import', 'tsx', path.join(repo, 'src/cli.ts')];
  const args = [
    ...cli,
    'run',
    path.join(here, 'facades-gpu-check.yaml'),
    '--backend',
    backend,
    '--data-dir',
    dataDir,
    '--weights-dir',
    weightsDir,
    '--cache-dir',
    path.join(work, 'cache'),
    '--runs-dir',
    path.join(work, 'runs'),
    '--progress',
    'plain',
    ...(dry ? tiny.flatMap((s) => ['--set', s]) : []),
  ];
  log(`pipeline: ${dry ? 'tiny (dry run)' : 'facades 256x256, 50 images, 1 epoch, 2 variants'} in ${work}`);
  const t0 = performance.now();
  const r = await execa(process.execPath, args, { reject: false, all: true });
  const wall = (performance.now() - t0) / 1000;
  emit({
    measure: 'pipeline',
    pipeline: 'bench/gpu/facades-gpu-check.yaml',
    dry_run: dry,
    backend,
    exit: r.exitCode,
    wall_s: Number(wall.toFixed(1)),
    runs_dir: path.join(work, 'runs'),
    ...(r.exitCode ? { tail: r.all?.split('\n').slice(-5) } : {}),
  });
}

/** GPU time per step in pipe's programs beside PyTorch's kernels (either side null where it was not measured). */
function emitGpuTimes(config: string, o: Record<string, unknown>, pytorch: PytorchProfile | undefined): void {
  const g = (o.gpu_times ?? {}) as { unavailable?: string; busy_ms?: number; span_ms?: number; programs?: unknown[] };
  emit({
    config,
    measure: 'gpu_times',
    steps: Number(PROFILED_STEPS),
    ours_busy_ms: g.busy_ms ?? null,
    ours_span_ms: g.span_ms ?? null,
    pytorch_busy_ms: pytorch?.busy_ms ?? null,
    ours_top: g.programs?.slice(0, 12) ?? null,
    pytorch_top: pytorch?.top ?? null,
    ...(g.unavailable ? { ours_unavailable: g.unavailable } : {}),
  });
}

const configs = dry ? GPU_DRY_RUN : GPU;
const budgetS = Number(opt('budget-s', 'Infinity'));
const started = performance.now();

/**
 * Runs `part` unless the time budget (--budget-s) is spent; a skipped part says so in a line of its own. The parts
 * run in order of importance, so a device call cut short keeps what matters most.
 */
async function within(what: string, part: () => Promise<void>): Promise<void> {
  const elapsed = (performance.now() - started) / 1000;
  if (elapsed > budgetS) {
    emit({ measure: 'skipped', what, why: `--budget-s ${budgetS} spent (${elapsed.toFixed(0)} s elapsed)` });
    return;
  }
  await part();
}

/** One config on the default settings: its line, then its GPU times beside PyTorch's. */
async function mainLine(
  config: string,
  pt: Awaited<ReturnType<typeof pytorchTimes>>,
): Promise<Record<string, unknown>> {
  const o = await ours(config, {}, ['--gpu-times', PROFILED_STEPS]);
  const pytorch = pt.times[config] ?? null;
  emit({
    config,
    backend: o.backend ?? backend,
    ours_s: o.ours_s ?? null,
    pytorch_s: pytorch,
    ratio: ratio(o.ours_s, pytorch),
    host_s: o.host_s ?? null,
    dispatches: o.dispatches ?? null,
    copies: o.copies ?? null,
    ...(o.error ? { error: o.error } : {}),
    adapter: o.adapter ?? null,
    subgroups: o.subgroups ?? null,
    f16: o.f16 ?? null,
  });
  if (!o.error) emitGpuTimes(config, o, pt.profiles[config]);
  return o;
}

/** The settings each config runs again with: what autotuning, the kernels and the device features are worth. */
function variantsOf(config: string, first: Record<string, unknown>): string[] {
  const v = ['PIPE_WEBGPU_CONV_AUTOTUNE=1'];
  if (config.includes('perceptual')) v.push('PIPE_WEBGPU_BACKBONE_CONV=pipe');
  if (config !== configs[0]) return v;
  if (first.subgroups === 'used') v.push('PIPE_WEBGPU_SUBGROUPS=0');
  if (String(first.f16).startsWith('off (available')) v.push('PIPE_WEBGPU_F16=1');
  return [...v, 'PIPE_WEBGPU_SUBMIT_BATCH=64', 'PIPE_WEBGPU_KERNELS=stock'];
}

log(`${dry ? 'dry run: ' : ''}configs ${configs.join(', ')}; backend ${backend}; ${steps} timed steps each`);
const pt = await pytorchTimes(configs);
if (pt.note) log(pt.note);
// In order of importance: the three lines, the pipeline's wall time, then what explains and improves them.
const firsts: Record<string, Record<string, unknown>> = {};
for (const config of configs) await within(config, async () => void (firsts[config] = await mainLine(config, pt)));
await within('pipeline', pipeline);
const timed: Timed[] = Object.entries(firsts).map(([config, o]) => ({
  config,
  ours_s: typeof o.ours_s === 'number' ? o.ours_s : null,
}));
for (const config of configs.filter((c) => firsts[c] && !firsts[c].error)) {
  for (const setting of variantsOf(config, firsts[config]!)) {
    await within(
      `${config} ${setting}`,
      async () => void timed.push(await variant(config, setting, pt.times[config] ?? null)),
    );
  }
}
if (timed.some((t) => t.variant)) {
  const r = recommend(timed);
  emit(r);
  log(`settings that made every config they were tried on faster, for your pipelines:\n${asYaml(r)}`);
}
if (backend === 'webgpu') await within('conv_kernels', convKernels);
