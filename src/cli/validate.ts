// `pipe validate FILE...`: compile each pipeline (no runtime, no TensorFlow.js) and print
// `FILE: ok (N configs, M stages)` or its diagnostics. Exit 1 when any file has errors.
import type { Command } from 'commander';
import { isUserFacing } from '../core/errors.js';
import { terminalSafe } from '../core/user-text.js';
import { MAX_CONFIGS_HELP, positiveInt } from './options.js';

export interface ValidateOptions {
  set?: string[];
  maxConfigs?: number;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Validates each file; returns the exit code (0 all ok, 1 any error). */
export async function validateFiles(
  files: readonly string[],
  options: ValidateOptions = {},
  out: (line: string) => void = (l) => process.stdout.write(`${terminalSafe(l)}\n`),
  err: (line: string) => void = (l) => process.stderr.write(`${terminalSafe(l)}\n`),
): Promise<number> {
  const { compileFile, lossBalanceWarning } = await import('../compiler/index.js');
  let code = 0;
  for (const file of files) {
    try {
      const compiled = await compileFile(file, { sets: options.set ?? [], maxConfigs: options.maxConfigs });
      const n = compiled.configs.length;
      const m = Object.keys(compiled.dag.stages).length;
      out(`${file}: ok (${n} config${n === 1 ? '' : 's'}, ${m} stage${m === 1 ? '' : 's'})`);
      // Warnings, not errors: the exit code stays 0.
      for (const c of compiled.configs) {
        const w = lossBalanceWarning(c.config);
        if (w) err(`${file}: warning: config ${c.id}: ${w}`);
      }
    } catch (e) {
      if (!isUserFacing(e)) throw e;
      err(e.message);
      code = 1;
    }
  }
  return code;
}

export function register(program: Command): void {
  program
    .command('validate')
    .description('Check pipeline files (YAML syntax, schema, variants, sweeps, checks) without running anything.')
    .argument('<file...>', 'pipeline YAML files')
    .option('--set <key=value>', 'override a key of the base config, e.g. --set train.epochs=2 (repeatable)', collect)
    .option('--max-configs <n>', MAX_CONFIGS_HELP, positiveInt('--max-configs'))
    .action(async (files: string[], opts: ValidateOptions) => {
      process.exitCode = await validateFiles(files, opts);
    });
}
