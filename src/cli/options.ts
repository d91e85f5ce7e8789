// Option helpers shared by plan/run/runs/gc (commander).
import type { Command } from 'commander';
import { BACKEND_NAMES, isBackendName, type BackendName } from '../core/backends.js';
import { UserError } from '../core/errors.js';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new UserError('PIPE_BAD_OPTION', `${name} expects a whole number >= 1, got "${value}".`, 2);
    return n;
  };
}

export function backendOption(value: string): BackendName {
  if (!isBackendName(value)) {
    throw new UserError('PIPE_BAD_OPTION', `--backend must be one of ${BACKEND_NAMES.join(', ')}; got "${value}".`, 2);
  }
  return value;
}

export const MAX_CONFIGS_HELP = 'most configs a pipeline may expand to (default 10000; env PIPE_MAX_SWEEP_POINTS)';

/** --max-configs: the cap on variants x sweep points (checked before expanding). */
export function maxConfigsOption(cmd: Command): Command {
  return cmd.option('--max-configs <n>', MAX_CONFIGS_HELP, positiveInt('--max-configs'));
}

/** --cache-dir / --data-dir / --weights-dir / --backend, shared by plan and run. */
export function locationOptions(cmd: Command, which: { runs?: boolean } = {}): Command {
  cmd
    .option('--set <key=value>', 'override a key of the base config, e.g. --set train.epochs=2 (repeatable)', collect)
    .option('--cache-dir <dir>', 'stage cache (default .pipe/cache; env PIPE_CACHE_DIR)')
    .option('--data-dir <dir>', 'dataset mirror folder (env PIPE_DATA_DIR)')
    .option('--weights-dir <dir>', 'pretrained weights mirror folder (env PIPE_WEIGHTS_DIR)')
    .option(
      '--backend <name>',
      `TensorFlow.js backend: ${BACKEND_NAMES.join(', ')} (default: the pipeline's, else auto)`,
      backendOption,
    );
  if (which.runs) cmd.option('--runs-dir <dir>', 'where run directories go (default runs; env PIPE_RUNS_DIR)');
  return cmd;
}
