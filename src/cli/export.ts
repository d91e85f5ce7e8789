// `pipe export MODEL --format pytorch|safetensors|onnx|tfjs -o DIR`.
import type { Command } from 'commander';
import { UserError } from '../core/errors.js';

const FORMATS = ['pytorch', 'safetensors', 'onnx', 'tfjs'] as const;

export function register(program: Command): void {
  program
    .command('export')
    .description(
      'Write a trained generator for other runtimes: ' +
        'PyTorch / safetensors (official key names), ONNX, TF.js + demo page.',
    )
    .argument(
      '<model>',
      'run directory or pipeline file (newest run), with :VARIANT; a folder with model.json; or FILE.pth',
    )
    .requiredOption('--format <f>', `one of ${FORMATS.join(', ')}`, (v: string) => {
      if (!(FORMATS as readonly string[]).includes(v))
        throw new UserError('PIPE_BAD_OPTION', `--format must be one of ${FORMATS.join(', ')}; got "${v}".`, 2);
      return v as (typeof FORMATS)[number];
    })
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--size <n>', 'input size for a .pth model (default 256)', Number)
    .option('--runs-dir <dir>', 'where run directories are (default runs; env PIPE_RUNS_DIR)')
    .action(
      async (
        modelArg: string,
        o: { format: (typeof FORMATS)[number]; out: string; size?: number; runsDir?: string },
      ) => {
        const { resolveModelArg } = await import('./model-arg.js');
        const { initBackend } = await import('../ml/backend.js');
        const { openCheckpoint, openTrainDir } = await import('../ml/inference/model-source.js');
        const { exportModel } = await import('../ml/export/index.js');
        const where = await resolveModelArg(modelArg, o.runsDir);
        // Exporting only copies and reshapes tensors: the CPU backend is enough and always there.
        await initBackend('cpu');
        const open = { evalMode: 'batch' as const, size: o.size };
        const model =
          where.kind === 'pth' ? await openCheckpoint(where.file, open) : await openTrainDir(where.dir, open);
        try {
          const m = await exportModel(model, o.format, o.out);
          process.stdout.write(
            `pipe: exported ${Object.values(m.files).join(', ')} ` +
              `(${o.format}, ${m.generator}, ${m.size}x${m.size}) -> ${o.out}\n`,
          );
        } finally {
          model.dispose();
        }
      },
    );
}
