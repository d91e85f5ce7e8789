// How to start the stage child entry: under tsx when running from the .ts sources (tests, dev),
// with plain node from dist/.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ChildCommand {
  /** Script to run with node. */
  file: string;
  /** Node flags (`--import <tsx loader>` when running from sources). */
  nodeOptions: string[];
}

export function stageChildCommand(): ChildCommand {
  const fromSources = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./stage-child.${fromSources ? 'ts' : 'js'}`, import.meta.url));
  if (!fromSources) return { file, nodeOptions: [] };
  const require = createRequire(import.meta.url);
  const tsxDir = path.dirname(require.resolve('tsx/package.json'));
  return { file, nodeOptions: ['--import', pathToFileURL(path.join(tsxDir, 'dist', 'loader.mjs')).href] };
}
