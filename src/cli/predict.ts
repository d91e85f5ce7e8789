// `pipe predict MODEL INPUT... -o DIR`: apply a trained generator (or an official .pth) to images.
import type { Command } from 'commander';
import { backendOption, positiveInt } from './options.js';
import { UserError } from '../core/errors.js';

interface PredictCliOptions {
  out: string;
  direction: 'AtoB' | 'BtoA';
  evalMode: 'batch' | 'running';
  batchSize: number;
  backend?: import('../ml/backend.js').BackendRequest;
  layout?: 'aligned' | 'unaligned';
  size?: number;
  dropout: boolean;
  seed: number;
  runsDir?: string;
}

function choice<T extends string>(name: string, values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v))
      throw new UserError('PIPE_BAD_OPTION', `${name} must be one of ${values.join(', ')}; got "${v}".`, 2);
    return v as T;
  };
}

/** A one-line bar on a terminal, a line per tenth otherwise (logs stay short). */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr) {
  let lastTenth = -1;
  return (done: number, total: number, file: string) => {
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      stream.write(
        `\rpredict [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${file.slice(-40).padEnd(40)}`,
      );
      if (done === total) stream.write('\n');
      return;
    }
    const tenth = Math.floor((done / total) * 10);
    if (tenth !== lastTenth || done === total) stream.write(`predict ${done}/${total} ${file}\n`);
    lastTenth = tenth;
  };
}

// eslint-disable-next-line max-lines-per-function -- one commander definition: the option list is the length
export function register(program: Command): void {
  program
    .command('predict')
    .description('Apply a trained generator to images: RUN[:VARIANT], a train stage folder, or an official .pth file.')
    .argument(
      '<model>',
      'run directory or pipeline file (newest run), with :VARIANT; a folder with model.json; or FILE.pth',
    )
    .argument('<inputs...>', 'image files, folders (recursively) or quoted globs')
    .requiredOption('-o, --out <dir>', 'output folder: one PNG per input, named after it')
    .option(
      '--direction <d>',
      'AtoB or BtoA (CycleGAN: which generator; aligned inputs: which half is read)',
      choice('--direction', ['AtoB', 'BtoA'] as const),
      'AtoB',
    )
    .option(
      '--eval-mode <mode>',
      'batch: batch statistics and dropout on, as pix2pix test.py (default); ' +
        'running: running statistics, no dropout (test.py --eval)',
      choice('--eval-mode', ['batch', 'running'] as const),
      'batch',
    )
    .option(
      '--batch-size <n>',
      'images per forward pass when the outputs do not depend on it (instance norm, no dropout)',
      positiveInt('--batch-size'),
      4,
    )
    .option('--backend <name>', 'TensorFlow.js backend (as for pipe run)', backendOption)
    .option(
      '--layout <layout>',
      'aligned: inputs are A|B pairs, split like the dataset stage; ' +
        "unaligned: whole images (default: the training data's)",
      choice('--layout', ['aligned', 'unaligned'] as const),
    )
    .option(
      '--size <n>',
      "input size for a .pth model (default 256; a run's model uses its crop_size)",
      positiveInt('--size'),
    )
    .option(
      '--no-dropout',
      'no dropout noise in --eval-mode batch (deterministic, like the exported ONNX/TF.js graphs)',
    )
    .option('--seed <n>', 'dropout seed for a .pth model', Number, 0)
    .option('--runs-dir <dir>', 'where run directories are (default runs; env PIPE_RUNS_DIR)')
    .action(async (modelArg: string, inputArgs: string[], o: PredictCliOptions) => {
      const { resolveModelArg } = await import('./model-arg.js');
      const { initBackend } = await import('../ml/backend.js');
      const { openCheckpoint, openTrainDir } = await import('../ml/inference/model-source.js');
      const { expandInputs } = await import('../ml/inference/inputs.js');
      const { predictImages } = await import('../ml/inference/predict.js');
      const where = await resolveModelArg(modelArg, o.runsDir);
      const inputs = await expandInputs(inputArgs);
      const info = await initBackend(o.backend ?? 'auto');
      const open = { evalMode: o.evalMode, size: o.size, dropout: o.dropout, seed: o.seed };
      const model = where.kind === 'pth' ? await openCheckpoint(where.file, open) : await openTrainDir(where.dir, open);
      try {
        const layout = o.layout ?? model.dataset?.layout ?? 'unaligned';
        const written = await predictImages({
          model,
          inputs,
          outDir: o.out,
          direction: o.direction,
          layout,
          batchSize: o.batchSize,
          onProgress: progressPrinter(),
        });
        process.stdout.write(
          `pipe: ${written.length} images -> ${o.out} ` +
            `(${model.arch.generator}, ${layout}, ${o.direction}, eval-mode ${o.evalMode}, ${info.name})\n`,
        );
      } finally {
        model.dispose();
      }
    });
}
