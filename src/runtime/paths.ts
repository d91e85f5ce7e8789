// Relative paths written in a pipeline resolve against the pipeline's folder and must stay
// inside it or the project: a shared pipeline file must not read arbitrary places by accident.
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { Dag } from '../compiler/types.js';

const PATH_KEY = /^(path|.*_path|.*_dir)$/;

export function checkPipelinePaths(dag: Dag, pipelineFile: string, projectDir: string): void {
  const pipelineDir = path.dirname(path.resolve(pipelineFile));
  const problems = new Set<string>();
  for (const stage of Object.values(dag.stages))
    walk(stage.params, '', (key, value) => {
      if (path.isAbsolute(value)) return;
      const abs = path.resolve(pipelineDir, value);
      if (!isInside(abs, pipelineDir) && !isInside(abs, path.resolve(projectDir))) {
        problems.add(`${key}: "${value}" resolves to ${abs}, outside ${pipelineDir} and the project ${projectDir}`);
      }
    });
  if (problems.size) {
    throw new UserError(
      'PIPE_PATH_OUTSIDE_PROJECT',
      `${pipelineFile}: ${[...problems].join('; ')}. Relative paths resolve against the pipeline's folder and must stay inside it or the project; write an absolute path to use a folder elsewhere.`,
    );
  }
}

function walk(v: unknown, prefix: string, visit: (key: string, value: string) => void): void {
  if (!v || typeof v !== 'object') return;
  for (const [k, child] of Object.entries(v as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof child === 'string' && PATH_KEY.test(k)) visit(key, child);
    else walk(child, key, visit);
  }
}

export function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
