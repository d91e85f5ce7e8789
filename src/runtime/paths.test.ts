import { describe, expect, it } from 'vitest';
import type { Dag } from '../compiler/types.js';
import { checkPipelinePaths } from './paths.js';

const dagWithPath = (p: string | null): Dag => ({
  pipeline: 'p',
  configs: [],
  stages: { dataset: { id: 'dataset', kind: 'dataset', configs: [], params: { path: p, source: null }, inputs: {} } },
  deps: { dataset: [] },
});

describe('checkPipelinePaths', () => {
  it('accepts paths inside the pipeline folder or the project, absolute paths, and no path', () => {
    expect(() => checkPipelinePaths(dagWithPath('data/facades'), '/proj/pipelines/x.yaml', '/proj')).not.toThrow();
    expect(() => checkPipelinePaths(dagWithPath('../data/facades'), '/proj/pipelines/x.yaml', '/proj')).not.toThrow();
    expect(() => checkPipelinePaths(dagWithPath('/mnt/data'), '/proj/pipelines/x.yaml', '/proj')).not.toThrow();
    expect(() => checkPipelinePaths(dagWithPath(null), '/proj/pipelines/x.yaml', '/proj')).not.toThrow();
  });

  it('refuses a relative path that escapes both, naming the file and the key', () => {
    expect(() => checkPipelinePaths(dagWithPath('../../etc'), '/proj/pipelines/x.yaml', '/proj')).toThrow(
      /\/proj\/pipelines\/x\.yaml: path: "\.\.\/\.\.\/etc" resolves to \/etc, outside/,
    );
  });
});
