// Official pytorch-CycleGAN-and-pix2pix generator state dicts (latest_net_G.pth) <-> pipe's parameters:
// which architecture a state dict holds, and the tensors in either layout, with a clear message on any
// name or shape mismatch.
import { StageUserError } from '../../core/errors.js';
import { generatorFor } from '../models/index.js';
import { numel, type NamedArray, type WeightMap } from '../weights/types.js';
import {
  BN_BUFFERS,
  batchNormPrefixes,
  fromTorchLayout,
  numDownsOf,
  officialPairs,
  torchShape,
  toTorchLayout,
  type GeneratorArch,
} from './official-names.js';

function mismatch(where: string, what: string): StageUserError {
  return new StageUserError(
    'PIPE_CHECKPOINT_MISMATCH',
    `${where} does not fit the generator: ${what}. The file must be a generator state dict of ` +
      'pytorch-CycleGAN-and-pix2pix (latest_net_G.pth, unet_128/unet_256/resnet_6blocks/resnet_9blocks) with the ' +
      'architecture the pipeline names (model.generator, model.ngf, model.norm).',
  );
}

function normOf(sd: WeightMap, firstConv: string): GeneratorArch['norm'] {
  if ([...sd.keys()].some((k) => k.endsWith('.running_mean'))) return 'batch';
  return sd.has(`${firstConv}.bias`) ? 'instance' : 'none';
}

/** The architecture a generator state dict holds (dropout is not in the file: pix2pix's defaults apply). */
export function archFromStateDict(
  sd: WeightMap,
  where: string,
): GeneratorArch & { channels: { in: number; out: number } } {
  const first = sd.get('model.model.0.weight') ?? sd.get('model.1.weight');
  if (!first || first.shape.length !== 4) {
    throw mismatch(where, 'it has neither model.model.0.weight (U-Net) nor model.1.weight (ResNet)');
  }
  if (sd.has('model.model.0.weight')) {
    let numDowns = 1;
    while ([...sd.keys()].some((k) => k.startsWith(`model.model.1.${'model.3.'.repeat(numDowns - 1)}model.`)))
      numDowns++;
    const outKey = sd.get('model.model.3.weight');
    const generator = numDowns === 7 ? 'unet_128' : numDowns === 8 ? 'unet_256' : 'unet';
    return {
      generator,
      ngf: first.shape[0]!,
      norm: normOf(sd, 'model.model.0'),
      dropout: true,
      numDowns,
      channels: { in: first.shape[1]!, out: outKey?.shape[1] ?? 3 },
    };
  }
  let blocks = 0;
  while (sd.has(`model.${10 + blocks}.conv_block.1.weight`)) blocks++;
  if (blocks !== 6 && blocks !== 9) throw mismatch(where, `it has ${blocks} ResNet blocks; pipe builds 6 or 9`);
  const out = sd.get(`model.${17 + blocks}.weight`);
  return {
    generator: blocks === 6 ? 'resnet_6blocks' : 'resnet_9blocks',
    ngf: first.shape[0]!,
    norm: normOf(sd, 'model.1'),
    dropout: sd.has('model.10.conv_block.6.weight'),
    channels: { in: first.shape[1]!, out: out?.shape[0] ?? 3 },
  };
}

export interface PipeWeights {
  /** pipe name -> array in pipe's layout (HWIO). */
  params: Map<string, NamedArray>;
  /** `<pipe norm name>.running_mean` / `.running_var` for batch norm layers, when the file has them. */
  running: Map<string, NamedArray>;
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Official state dict -> pipe parameters, refusing any missing, unexpected or misshapen tensor. */
export function paramsFromStateDict(sd: WeightMap, arch: GeneratorArch, cropSize: number, where: string): PipeWeights {
  const pairs = officialPairs(arch, cropSize);
  const specs = new Map(generatorFor(arch, cropSize).specs.map((s) => [s.name, s.shape]));
  const params = new Map<string, NamedArray>();
  const missing: string[] = [];
  for (const p of pairs) {
    const t = sd.get(p.official);
    if (!t) {
      missing.push(p.official);
      continue;
    }
    const pipeShape = specs.get(p.pipe)!;
    const expected = p.kind === 'conv' ? torchShape(pipeShape) : pipeShape;
    if (!same(t.shape, expected)) {
      throw mismatch(
        where,
        `${p.official} has shape [${t.shape.join(', ')}], the generator needs [${expected.join(', ')}]`,
      );
    }
    params.set(p.pipe, fromTorchLayout(t.data, t.shape));
  }
  if (missing.length)
    throw mismatch(
      where,
      `it lacks ${missing.length} tensor(s): ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ', ...' : ''}`,
    );
  const known = new Set(pairs.map((p) => p.official));
  const running = new Map<string, NamedArray>();
  for (const bn of batchNormPrefixes(pairs)) {
    for (const b of BN_BUFFERS) known.add(`${bn.official}.${b}`);
    for (const b of ['running_mean', 'running_var'] as const) {
      const t = sd.get(`${bn.official}.${b}`);
      if (t) running.set(`${bn.pipe}.${b}`, t);
    }
  }
  // Old InstanceNorm2d versions saved running buffers the reference's loader deletes; they carry nothing.
  const extra = [...sd.keys()].filter(
    (k) => !known.has(k) && !/\.(running_mean|running_var|num_batches_tracked)$/.test(k),
  );
  if (extra.length)
    throw mismatch(
      where,
      `it has tensor(s) the generator does not: ${extra.slice(0, 4).join(', ')}${extra.length > 4 ? ', ...' : ''}`,
    );
  return { params, running };
}

/**
 * pipe parameters -> an official state dict (keys in the official order). BatchNorm buffers come from
 * `running` when given, else the PyTorch defaults (mean 0, var 1, 0 batches): pipe normalises with batch
 * statistics, as the reference's test.py does by default, so it keeps no running averages.
 */
export function stateDictFromParams(
  params: Record<string, NamedArray>,
  arch: GeneratorArch,
  cropSize: number,
  running: Record<string, NamedArray> = {},
): WeightMap {
  const pairs = officialPairs(arch, cropSize);
  const norms = new Map(batchNormPrefixes(pairs).map((b) => [`${b.pipe}.bias`, b]));
  const sd: WeightMap = new Map();
  for (const p of pairs) {
    const t = params[p.pipe];
    if (!t) throw new Error(`parameter ${p.pipe} is missing from the model`);
    sd.set(p.official, p.kind === 'conv' ? toTorchLayout(t.data, t.shape) : t);
    const bn = norms.get(p.pipe);
    if (!bn) continue;
    const n = t.shape[0]!;
    sd.set(
      `${bn.official}.running_mean`,
      running[`${bn.pipe}.running_mean`] ?? { shape: [n], data: new Float32Array(n) },
    );
    sd.set(
      `${bn.official}.running_var`,
      running[`${bn.pipe}.running_var`] ?? { shape: [n], data: new Float32Array(n).fill(1) },
    );
    sd.set(`${bn.official}.num_batches_tracked`, { shape: [], data: new Float32Array(1) });
  }
  return sd;
}

export { numDownsOf, numel };
