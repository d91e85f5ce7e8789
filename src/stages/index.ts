import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PipeError } from '../core/errors.js';
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

/** A stage-kind lookup problem the user can fix (bad PIPE_STAGE_MODULES, unknown kind). */
export class StageKindError extends PipeError {
  constructor(code: 'PIPE_STAGE_MODULES' | 'PIPE_UNKNOWN_STAGE_KIND', message: string) {
    super(code, message);
    this.name = 'StageKindError';
  }
}

let plugins: Promise<Map<string, StageKind<any>>> | undefined;
let pluginsFor: string | undefined;

function isStageKind(v: unknown): v is StageKind<any> {
  const k = v as StageKind<any> | undefined;
  return (
    !!k &&
    typeof k === 'object' &&
    typeof k.kind === 'string' &&
    typeof k.version === 'number' &&
    typeof k.run === 'function'
  );
}

async function loadPlugins(): Promise<Map<string, StageKind<any>>> {
  const spec = process.env[STAGE_MODULES_ENV] ?? '';
  if (plugins && pluginsFor === spec) return plugins;
  pluginsFor = spec;
  plugins = (async () => {
    const out = new Map<string, StageKind<any>>();
    for (const entry of spec
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const url = /^(file|node|data):/.test(entry) ? entry : pathToFileURL(path.resolve(entry)).href;
      let mod: Record<string, unknown>;
      try {
        // eslint-disable-next-line no-restricted-syntax -- the declared plug-in point (PIPE_STAGE_MODULES)
        mod = (await import(url)) as Record<string, unknown>;
      } catch (err) {
        throw new StageKindError(
          'PIPE_STAGE_MODULES',
          `${STAGE_MODULES_ENV}: cannot load ${entry} (${(err as Error).message.split('\n')[0]}); fix the path or unset the variable.`,
        );
      }
      const kinds = Object.values(mod).filter(isStageKind);
      if (kinds.length === 0)
        throw new StageKindError(
          'PIPE_STAGE_MODULES',
          `${STAGE_MODULES_ENV}: module ${entry} exports no stage kind (an object with kind, version and run); export one or unset the variable.`,
        );
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
  if (!load) {
    const known = [...new Set([...stageKindNames, ...(await loadPlugins()).keys()])].join(', ');
    throw new StageKindError(
      'PIPE_UNKNOWN_STAGE_KIND',
      `unknown stage kind "${kind}" (known: ${known}); add it to src/stages/index.ts or load it with ${STAGE_MODULES_ENV}.`,
    );
  }
  return load();
}
