// What `pipe plan` and `pipe run` share: compile, resolve machine locations, check paths,
// fingerprint every stage.
import path from 'node:path';
import type { Compiled } from '../compiler/index.js';
import type { StageEnv } from '../stages/types.js';
import { loadStageKind } from '../stages/index.js';
import { engineVersion } from './engine-version.js';
import { FileDigests } from './file-digests.js';
import { fingerprintDag, type Fingerprint } from './fingerprint.js';
import { checkPipelinePaths } from './paths.js';
import { resolveLocations, stageEnv, type LocationOptions, type Locations } from './settings.js';
import { DirectoryStore } from './store.js';
import { resolveThreads } from './threads.js';
import { warn } from './warn.js';

export interface Prepared {
  compiled: Compiled;
  loc: Locations;
  env: StageEnv;
  fingerprints: Record<string, Fingerprint>;
  store: DirectoryStore;
}

export async function compilePipeline(file: string, sets: string[] = [], maxConfigs?: number): Promise<Compiled> {
  const { compileFile } = await import('../compiler/index.js');
  return compileFile(file, { sets, maxConfigs });
}

export async function prepareCompiled(compiled: Compiled, opts: LocationOptions = {}): Promise<Prepared> {
  const loc = resolveLocations(opts);
  const config = compiled.config;
  const backend = opts.backend ?? config.backend ?? undefined;
  const { threads } = resolveThreads({
    flag: opts.threads,
    env: process.env.PIPE_THREADS,
    pipeline: config.backend_options?.threads,
    jobs: opts.jobs,
  });
  const env = stageEnv(loc, compiled.file, backend, threads, config.backend_options?.webgpu);
  checkPipelinePaths(compiled.dag, compiled.file, loc.projectDir);
  const digestsFile = path.join(loc.cacheDir, 'digests.json');
  const digests = new FileDigests(digestsFile);
  const fingerprints = await fingerprintDag(compiled.dag, {
    env,
    digests,
    loadKind: loadStageKind,
    engine: engineVersion(),
  });
  // The digest cache only saves re-hashing unchanged files next time; losing it costs time, not correctness.
  await digests.save().catch((err: unknown) => warn(`could not save the file digest cache ${digestsFile}`, err));
  return { compiled, loc, env, fingerprints, store: new DirectoryStore(loc.cacheDir) };
}
