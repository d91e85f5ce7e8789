// Machine-specific locations: flags first, then environment, then defaults under the project
// directory (the working directory). None of these ever enter a fingerprint.
import { homedir } from 'node:os';
import path from 'node:path';
import { resolveRunsDir } from '../core/formats/run-record.js';
import type { BackendName, StageEnv } from '../stages/types.js';
import type { WebgpuOptions } from '../core/backends.js';

export interface LocationOptions {
  cacheDir?: string;
  runsDir?: string;
  dataDir?: string;
  weightsDir?: string;
  backend?: BackendName;
  /** --threads: compute threads per stage (see threads.ts for the defaults). */
  threads?: number;
  /** Stages run side by side (--jobs): the default thread count divides the cores among them. */
  jobs?: number;
  /** Project directory; defaults to the working directory. */
  cwd?: string;
}

export interface Locations {
  projectDir: string;
  cacheDir: string;
  runsDir: string;
  dataDir?: string;
  weightsDir?: string;
  downloadDir: string;
}

export function resolveLocations(o: LocationOptions, env: NodeJS.ProcessEnv = process.env): Locations {
  const projectDir = path.resolve(o.cwd ?? process.cwd());
  const abs = (p: string | undefined) => (p ? path.resolve(projectDir, p) : undefined);
  const dataDir = abs(o.dataDir ?? env.PIPE_DATA_DIR);
  const weightsDir = abs(o.weightsDir ?? env.PIPE_WEIGHTS_DIR);
  return {
    projectDir,
    cacheDir: abs(o.cacheDir ?? env.PIPE_CACHE_DIR) ?? path.join(projectDir, '.pipe', 'cache'),
    runsDir: resolveRunsDir(o.runsDir, projectDir, env),
    ...(dataDir ? { dataDir } : {}),
    ...(weightsDir ? { weightsDir } : {}),
    downloadDir: abs(env.PIPE_DOWNLOAD_DIR) ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'pipe'),
  };
}

/** What a stage sees of this machine; `backend` comes from --backend, else the pipeline, else auto. */
export function stageEnv(
  loc: Locations,
  pipelineFile: string,
  backend: BackendName | undefined,
  threads?: number,
  webgpu?: WebgpuOptions,
): StageEnv {
  return {
    projectDir: path.dirname(path.resolve(pipelineFile)),
    ...(loc.dataDir ? { dataDir: loc.dataDir } : {}),
    ...(loc.weightsDir ? { weightsDir: loc.weightsDir } : {}),
    backend: backend ?? 'auto',
    ...(threads !== undefined ? { threads } : {}),
    ...(webgpu !== undefined ? { webgpu } : {}),
    downloadDir: loc.downloadDir,
  };
}
