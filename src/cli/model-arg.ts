// The MODEL argument of `pipe predict` / `pipe export`: RUN[:VARIANT] (a run directory or a pipeline
// file, newest run), a train stage folder (model.json), or an official generator file (.pth/.pt).
import fs from 'node:fs/promises';
import path from 'node:path';
import { locateRun } from '../checks/locate-run.js';
import { resolveStageDir } from '../checks/run-dir.js';
import { UserError } from '../core/errors.js';

export type ModelArg = { kind: 'pth'; file: string } | { kind: 'train-dir'; dir: string; variant?: string };

const exists = (p: string) =>
  fs.stat(p).then(
    () => true,
    () => false,
  );

/** Variants with a train stage in a run: `stages/train/<variant>/` (or `stages/train/` for a run without variants). */
async function trainVariants(runDir: string): Promise<string[]> {
  const base = path.join(runDir, 'stages', 'train');
  if (await exists(path.join(base, 'stage.json'))) return [''];
  const entries = await fs.readdir(base, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() || e.isSymbolicLink())
    .map((e) => e.name)
    .sort();
}

async function trainDirOfRun(runDir: string, variant: string | undefined, arg: string): Promise<ModelArg> {
  const variants = await trainVariants(runDir);
  if (!variants.length) {
    throw new UserError(
      'PIPE_MODEL_NOT_FOUND',
      `Run ${runDir} has no trained model (no stages/train). Finish it with \`pipe run\` first.`,
      2,
    );
  }
  const chosen = variant ?? (variants.length === 1 ? variants[0] : undefined);
  if (chosen === undefined || !variants.includes(chosen)) {
    const list = variants.map((v) => `${arg.split(':')[0]}:${v}`).join(', ');
    throw new UserError(
      'PIPE_MODEL_NOT_FOUND',
      variant
        ? `Run ${runDir} has no variant "${variant}"; it has: ${list}.`
        : `Run ${runDir} has several variants; name one: ${list}.`,
      2,
    );
  }
  const dir = await resolveStageDir(runDir, chosen ? `train/${chosen}` : 'train');
  if (!dir || !(await exists(path.join(dir, 'model.json')))) {
    throw new UserError(
      'PIPE_MODEL_NOT_FOUND',
      `The train stage of variant "${chosen}" in ${runDir} has no published model (model.json); run it to the end.`,
      2,
    );
  }
  return { kind: 'train-dir', dir, variant: chosen || undefined };
}

export async function resolveModelArg(arg: string, runsDir?: string): Promise<ModelArg> {
  if (/\.(pth|pt)$/i.test(arg)) {
    if (!(await exists(arg))) throw new UserError('PIPE_MODEL_NOT_FOUND', `Model file ${arg} does not exist.`, 2);
    return { kind: 'pth', file: path.resolve(arg) };
  }
  // A colon separates the variant unless the whole argument is an existing path.
  const colon = arg.lastIndexOf(':');
  const [target, variant] =
    !(await exists(arg)) && colon > 0 ? [arg.slice(0, colon), arg.slice(colon + 1)] : [arg, undefined];
  if (await exists(path.join(target, 'model.json'))) return { kind: 'train-dir', dir: path.resolve(target) };
  if (!/\.ya?ml$/i.test(target) && !(await exists(target))) {
    throw new UserError(
      'PIPE_MODEL_NOT_FOUND',
      `${target} is neither a run, a pipeline file, a train stage folder nor a .pth file.`,
      2,
    );
  }
  return trainDirOfRun(await locateRun(target, runsDir), variant, arg);
}
