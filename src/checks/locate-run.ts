// Turns the RUN argument of `pipe check/report/compare` into a run directory: a run directory as
// given, a pipeline file (its newest run), or nothing (the newest run of any pipeline).
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { LATEST_LINK, newestRunDir, resolveRunsDir, runDirsOf, safeName } from '../core/formats/run-record.js';

export function runsRoot(option?: string): string {
  return resolveRunsDir(option, process.cwd());
}

/** Resolves RUN|FILE|nothing to a run directory; exit 2 (UserError) when there is none. */
export async function locateRun(arg: string | undefined, runsDir?: string): Promise<string> {
  const root = runsRoot(runsDir);
  if (arg && /\.ya?ml$/i.test(arg)) {
    const { parse } = await import('yaml');
    let name: unknown;
    try {
      name = (parse(await fs.readFile(arg, 'utf8')) as { name?: unknown })?.name;
    } catch (err) {
      throw new UserError('PIPE_PIPELINE_UNREADABLE', `Cannot read pipeline ${arg}: ${(err as Error).message}.`, 2);
    }
    if (typeof name !== 'string')
      throw new UserError(
        'PIPE_PIPELINE_UNREADABLE',
        `Pipeline ${arg} has no \`name:\`, so its runs cannot be found.`,
        2,
      );
    const pipelineRuns = path.join(root, safeName(name));
    // `latest` is the runtime's pointer to the newest finished run.
    const latest = await fs.realpath(path.join(pipelineRuns, LATEST_LINK)).catch(() => undefined); // none yet
    const dir = latest ?? (await newestRunDir(await runDirsOf(pipelineRuns)));
    if (!dir) {
      throw new UserError(
        'PIPE_RUN_INCOMPLETE',
        `No runs of pipeline "${name}" under ${pipelineRuns}. Run it first with \`pipe run ${arg}\` (or point --runs-dir at where its runs are).`,
        2,
      );
    }
    return dir;
  }
  if (arg) return path.resolve(arg);
  const all = (await Promise.all((await runDirsOf(root)).map(runDirsOf))).flat();
  const dir = await newestRunDir(all);
  if (!dir)
    throw new UserError(
      'PIPE_RUN_INCOMPLETE',
      `No runs under ${root}. Give a run directory or a pipeline file, or start a run with \`pipe run FILE\`.`,
      2,
    );
  return dir;
}
