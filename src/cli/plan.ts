// `pipe plan FILE`: what `pipe run` would do — every stage, its fingerprint, cached or why not.
import type { Command } from 'commander';
import { locationOptions, maxConfigsOption } from './options.js';

interface PlanCliOptions {
  set?: string[];
  maxConfigs?: number;
  json?: boolean;
  cacheDir?: string;
  dataDir?: string;
  weightsDir?: string;
  backend?: import('../stages/types.js').BackendName;
}

export function register(program: Command): void {
  const cmd = program
    .command('plan')
    .description(
      'Show the stages a run would execute: id, kind, configs, dependencies, fingerprint, cached or why not.',
    )
    .argument('<file>', 'pipeline YAML file')
    .option('--json', 'print the plan as JSON');
  maxConfigsOption(locationOptions(cmd)).action(async (file: string, o: PlanCliOptions) => {
    const { checkDirOptions } = await import('./dir-options.js');
    await checkDirOptions(o, ['cacheDir', 'dataDir', 'weightsDir']);
    const { compilePipeline } = await import('../runtime/prepare.js');
    const { planCompiled, formatPlan } = await import('../runtime/plan.js');
    const plan = await planCompiled(await compilePipeline(file, o.set, o.maxConfigs), o);
    process.stdout.write(o.json ? `${JSON.stringify(plan, null, 2)}\n` : `${formatPlan(plan)}\n`);
  });
}
