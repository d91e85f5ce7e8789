// Argument parsing and routing only. Each command lives in src/cli/<command>.ts and exports
// `register(program)`; heavy modules (runtime, TensorFlow.js) are imported inside the actions so
// that `pipe validate` stays fast.
import { Command, CommanderError } from 'commander';
import { printError } from './cli/errors.js';

type Register = { register(p: Command): void };

// A literal table (not a template import) so bundlers and vitest can see every command module.
const commands = {
  validate: () => import('./cli/validate.js'),
  plan: () => import('./cli/plan.js'),
  run: () => import('./cli/run.js'),
  runs: () => import('./cli/runs.js'),
  gc: () => import('./cli/gc.js'),
  metrics: () => import('./cli/metrics.js'),
  report: () => import('./cli/report.js'),
  check: () => import('./cli/check.js'),
  compare: () => import('./cli/compare.js'),
  worker: () => import('./cli/worker.js'),
} satisfies Record<string, () => Promise<Register>>;

export const commandNames = Object.keys(commands) as (keyof typeof commands)[];

export async function buildProgram(): Promise<Command> {
  const program = new Command('pipe')
    .description('Declarative experiments on image-to-image GANs (pix2pix, CycleGAN) with perceptual losses.')
    .showHelpAfterError()
    .exitOverride();
  for (const name of commandNames) (await commands[name]()).register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0; bad usage is exit 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    return printError(err);
  }
}

const isEntry = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry || process.env.PIPE_CLI_ENTRY === '1') {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
