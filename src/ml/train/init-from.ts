// model.init_from: an official pytorch-CycleGAN-and-pix2pix generator file (latest_net_G.pth, zip or legacy;
// or safetensors with the same key names) as the starting point of pipe's generator.
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { StageUserError } from '../../core/errors.js';
import { fetchVerified, sha256File } from '../io/download.js';
import { paramsFromStateDict } from '../inference/official-checkpoint.js';
import type { VariableMap } from '../models/params.js';
import { readSafetensors } from '../weights/readers/safetensors.js';
import { readTorch } from '../weights/readers/torch.js';
import type { NamedArray, WeightMap } from '../weights/types.js';
import type { TrainParams } from '../../core/stage-params.js';

export const isUrl = (s: string) => /^https?:\/\//i.test(s);

/** The local file init_from names (a path relative to the pipeline folder), or undefined for a URL. */
export function localInitFile(initFrom: string, projectDir: string): string | undefined {
  return isUrl(initFrom) ? undefined : path.resolve(projectDir, initFrom);
}

export interface InitSource {
  file: string;
  sha256: string;
}

/** Resolves init_from to a readable local file (downloading a URL into the download cache). */
export async function fetchInitFile(
  initFrom: string,
  projectDir: string,
  downloadDir: string,
  signal?: AbortSignal,
): Promise<InitSource> {
  const local = localInitFile(initFrom, projectDir);
  if (local) {
    try {
      return { file: local, sha256: await sha256File(local) };
    } catch (err) {
      throw new StageUserError(
        'PIPE_INIT_FROM_MISSING',
        `model.init_from names ${local}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? err}). ` +
          'Give the path of a latest_net_G.pth, relative to the pipeline file.',
      );
    }
  }
  const got = await fetchVerified({
    url: initFrom,
    downloadDir: path.join(downloadDir, 'init_from'),
    what: `model.init_from ${initFrom}`,
    signal,
  });
  return { file: got.path, sha256: got.sha256 };
}

export async function readGeneratorFile(file: string): Promise<WeightMap> {
  return /\.safetensors$/i.test(file) ? readSafetensors(file) : readTorch(file);
}

/**
 * Copies the file's tensors into the generator's variables; returns the batch-norm running statistics it
 * held (pipe-named), which training does not update but a model published without training keeps.
 */
export function loadInto(
  params: VariableMap,
  sd: WeightMap,
  model: TrainParams['model'],
  cropSize: number,
  where: string,
): Record<string, NamedArray> {
  const arch = { generator: model.generator, ngf: model.ngf, norm: model.norm, dropout: model.dropout === true };
  const { params: loaded, running } = paramsFromStateDict(sd, arch, cropSize, `${where} (model.init_from)`);
  for (const [name, v] of loaded) {
    const value = tf.tensor(v.data, v.shape);
    params[name]!.assign(value);
    value.dispose();
  }
  return Object.fromEntries(running);
}
