import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StageKind } from './types.js';

// Stage kinds load lazily: `pipe validate` and `pipe plan` must not pay for TensorFlow.js.
const loaders: Record<string, () => Promise<StageKind<any>>> = {
  dataset: async () => (await import('./dataset.js')).datasetStage,
  train: async () => (await import('./train.js')).trainStage,
  evaluate: async () => (await import('./evaluate.js')).evaluateStage,
  report: async () => (await import('./report.js')).reportStage,
};

export const stageKindNames = Object.keys(loaders);

/**
 * Extension point: PIPE_STAGE_MODULES is a comma-separated list of module paths (absolute, or
 * relative to the working directory) whose exports include StageKind objects ({kind, version,
 * run}). A plug-in kind with the same name as a built-in one replaces it — tests use this to run
 * the real runtime with small, fast kinds. The variable is inherited by the stage child processes.
 */
export const STAGE_MODULES_ENV = 'PIPE_STAGE_MODULES';

let plugins: Promise<Map<string, StageKind<any>>> | undefined;
let pluginsFor: string | undefined;

function isStageKind(v: unknown): v is StageKind<any> {
  const k = v as StageKind<any> | undefined;
  return !!k && typeof k === 'object' && typeof k.kind === 'string' && typeof k.version === 'number' && typeof k.run === 'function';
}

async function loadPlugins(): Promise<Map<string, StageKind<any>>> {
  const spec = process.env[STAGE_MODULES_ENV] ?? '';
  if (plugins && pluginsFor === spec) return plugins;
  pluginsFor = spec;
  plugins = (async () => {
    const out = new Map<string, StageKind<any>>();
    for (const entry of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
      const url = /^(file|node|data):/.test(entry) ? entry : pathToFileURL(path.resolve(entry)).href;
      const mod = (await import(url)) as Record<string, unknown>;
      const kinds = Object.values(mod).filter(isStageKind);
      if (kinds.length === 0) throw new Error(`${STAGE_MODULES_ENV}: module ${entry} exports no stage kind ({kind, version, run})`);
      for (const k of kinds) out.set(k.kind, k);
    }
    return out;
  })();
  return plugins;
}

export async function loadStageKind(kind: string): Promise<StageKind<any>> {
  const plugin = (await loadPlugins()).get(kind);
  if (plugin) return plugin;
  const load = loaders[kind];
  if (!load) throw new Error(`unknown stage kind "${kind}" (known: ${stageKindNames.join(', ')})`);
  return load();
}
