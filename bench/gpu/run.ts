// bench/gpu's driver (bench/gpu/run.sh calls it; see there for what a GPU host needs). Prints JSON lines:
//   {config, backend, ours_s, pytorch_s, ratio, host_s, dispatches} for each GPU config (webgpu vs PyTorch
//   CUDA), then {measure: 'pipeline', ...} for bench/gpu/facades-gpu-check.yaml run end to end on webgpu. Where the
//   adapter has subgroups, the first config runs once more without them ({variant: 'PIPE_WEBGPU_SUBGROUPS=0'});
//   where it has shader-f16, once more with f16 forward convolutions ({variant: 'PIPE_WEBGPU_F16=1'}); and once
//   more submitting per 64 dispatches instead of tfjs's 15 ({variant: 'PIPE_WEBGPU_SUBMIT_BATCH=64'}): what each
//   is worth here.
// --dry-run: the tiny configs and a tiny pipeline (a software rasteriser such as llvmpipe manages them).
import { execa } from 'execa';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configByName, GPU, GPU_DRY_RUN } from '../configs.js';

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

async function pytorchTimes(configs: string[]): Promise<{ times: Record<string, number>; note?: string }> {
  const probe = await execa(python, ['-c', 'import torch; print(torch.__version__, torch.cuda.is_available())'], {
    reject: false,
  });
  if (probe.exitCode !== 0 || !/ True$/.test(probe.stdout.trim())) {
    return {
      times: {},
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
    ],
    { reject: false },
  );
  const times: Record<string, number> = {};
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const o = JSON.parse(line) as { config: string; pytorch_s: number };
    times[o.config] = o.pytorch_s;
  }
  return { times, ...(r.exitCode ? { note: `pytorch_step.py failed: ${r.stderr.trim().split('\n').at(-1)}` } : {}) };
}

async function ours(config: string, extraEnv: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const env = { ...process.env, PIPE_WEIGHTS_DIR: weightsDir, ...extraEnv };
  const r = await execa(
    process.execPath,
    [...nodeArgs('bench/gpu/step.ts', 'step.mjs'), config, backend, '--steps', String(steps)],
    { env, reject: false, timeout: 30 * 60_000 },
  );
  if (r.exitCode !== 0) return { error: r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400) };
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const ratio = (oursS: unknown, pytorch: number | null) =>
  typeof oursS === 'number' && pytorch ? Number((oursS / pytorch).toFixed(2)) : null;

/** The same step with one setting changed (`name=value`), against the same PyTorch time. */
async function variant(config: string, setting: string, pytorch: number | null): Promise<void> {
  const [name, value] = setting.split('=') as [string, string];
  const o = await ours(config, { [name]: value });
  emit({
    config,
    backend: o.backend ?? backend,
    variant: setting,
    ours_s: o.ours_s ?? null,
    pytorch_s: pytorch,
    ratio: ratio(o.ours_s, pytorch),
    host_s: o.host_s ?? null,
    f16: o.f16 ?? null,
    ...(o.error ? { error: o.error } : {}),
  });
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

const configs = dry ? GPU_DRY_RUN : GPU;
log(`${dry ? 'dry run: ' : ''}configs ${configs.join(', ')}; backend ${backend}; ${steps} timed steps each`);
const pt = await pytorchTimes(configs);
if (pt.note) log(pt.note);
for (const config of configs) {
  const o = await ours(config);
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
  if (config !== configs[0]) continue;
  if (o.subgroups === 'used') await variant(config, 'PIPE_WEBGPU_SUBGROUPS=0', pytorch);
  if (String(o.f16).startsWith('off (available')) await variant(config, 'PIPE_WEBGPU_F16=1', pytorch);
  await variant(config, 'PIPE_WEBGPU_SUBMIT_BATCH=64', pytorch);
}
await pipeline();
