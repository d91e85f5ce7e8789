// The non-training numbers of the benchmark: how long `pipe validate` takes, and how long a rerun of an 8-variant
// sweep takes when every stage is already cached (the runtime's fixed cost per stage).
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The CLI as a user runs it: the compiled build when present, else the sources through tsx. */
function pipeCommand(root: string): { args: string[]; how: string } {
  if (existsSync(path.join(root, 'dist/cli.js')))
    return { args: ['bin/pipe.js'], how: 'node bin/pipe.js (dist build)' };
  return { args: ['--import', 'tsx', 'src/cli.ts'], how: 'node --import tsx src/cli.ts (no dist build)' };
}

export async function validateTime(root: string): Promise<{ seconds: number | null; how: string }> {
  const { args, how } = pipeCommand(root);
  const files = (await fs.readdir(path.join(root, 'pipelines')))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `pipelines/${f}`);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await execa('node', [...args, 'validate', ...files], { cwd: root, reject: false });
    if (r.exitCode !== 0)
      return { seconds: null, how: `${how}: validate failed: ${r.stderr.trim().split('\n')[0] ?? ''}` };
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return { seconds: Number(times[1].toFixed(3)), how: `${how}, ${files.length} files, median of 3` };
}

// 2 weights x 2 layers x 2 seeds, tiny enough to fill the cache in a minute or two on 2 cores.
const SWEEP = `name: bench-sweep
dataset: { source: facades, layout: aligned, direction: BtoA, load_size: 32, crop_size: 32, flip: false, max_images: 2 }
model:   { kind: pix2pix, generator: unet, norm: batch, ngf: 4, ndf: 4 }
loss:
  l1: { weight: 100 }
  perceptual: { weight: 1, backbone: vgg19, weights: keras, layers: { relu3_3: 1.0 } }
train: { epochs: 1, epochs_decay: 0, batch_size: 1, seed: 1, checkpoint_every: 1 }
sweep:
  grid:
    loss.perceptual.weight: [1, 10]
    loss.perceptual.layers: [{ relu2_2: 1.0 }, { relu3_3: 1.0 }]
    train.seed: [1, 2]
evaluate: { split: test, metrics: [ssim, psnr], max_images: 2 }
report:   { samples: 2 }
`;

export async function sweepRerun(
  root: string,
  log: (s: string) => void,
): Promise<{ seconds: number | null; note?: string }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-bench-sweep-'));
  try {
    const file = path.join(dir, 'sweep.yaml');
    await fs.writeFile(file, SWEEP);
    const { args } = pipeCommand(root);
    const shared = path.resolve(root, '../shared');
    const run = () =>
      execa(
        'node',
        [
          ...args,
          'run',
          file,
          '--cache-dir',
          path.join(dir, 'cache'),
          '--runs-dir',
          path.join(dir, 'runs'),
          '--data-dir',
          process.env.PIPE_DATA_DIR ?? path.join(shared, 'datasets'),
          '--weights-dir',
          process.env.PIPE_WEIGHTS_DIR ?? path.join(shared, 'weights'),
          '--backend',
          'wasm',
          '--jobs',
          '2',
          '--progress',
          'none',
          '--no-checks',
        ],
        { cwd: root, reject: false, timeout: 900_000 },
      );
    log('filling the cache for the 8-variant sweep (untimed) ...');
    const first = await run();
    if (first.exitCode !== 0)
      return {
        seconds: null,
        note: `first run failed: ${(first.stderr || first.stdout).trim().split('\n').slice(-2).join(' ').slice(0, 300)}`,
      };
    const t0 = performance.now();
    const again = await run();
    const seconds = (performance.now() - t0) / 1000;
    if (again.exitCode !== 0)
      return { seconds: null, note: `rerun failed: ${again.stderr.trim().split('\n').slice(-1)[0]}` };
    return { seconds: Number(seconds.toFixed(3)) };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
