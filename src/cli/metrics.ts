import type { Command } from 'commander';

export interface MetricsOptions {
  json?: boolean;
  lpipsNet: string;
  lpips: boolean;
  weightsDir?: string;
  backend: string;
}

export function register(program: Command): void {
  program
    .command('metrics')
    .description('SSIM, PSNR, LPIPS and MAE between two images, or between two folders (pairs matched by file name).')
    .argument('<a>', 'image file or folder (e.g. the generated images)')
    .argument('<b>', 'image file or folder of the same size (e.g. the targets)')
    .option('--json', 'print {"pairs": {name: {ssim, psnr, lpips, mae}}, "mean": {...}}')
    .option('--lpips-net <net>', 'LPIPS v0.1 network: squeeze, vgg or alex', 'squeeze')
    .option('--no-lpips', 'skip LPIPS (no TensorFlow.js, no weights needed)')
    .option('--weights-dir <dir>', 'folder with pretrained weights (default: $PIPE_WEIGHTS_DIR, then download)')
    .option('--backend <name>', 'TensorFlow.js backend for LPIPS', 'auto')
    .action(async (a: string, b: string, opts: MetricsOptions) => {
      const { runMetricsCommand } = await import('../ml/metrics/compare-images.js');
      process.stdout.write(await runMetricsCommand(a, b, opts));
    });
}
