// Builds the generator / discriminator a train config names.
import type { TrainParams } from '../../core/stage-params.js';
import { discriminator } from './discriminator.js';
import type { Layer } from './layers.js';
import { resnetGenerator } from './resnet.js';
import { unetGenerator } from './unet.js';

export type ModelConfig = TrainParams['model'];
export type { Layer, RunCtx, NormKind } from './layers.js';
export { countParams, initParams, disposeParams, type ParamMap, type VariableMap, type ParamSpec } from './params.js';

/** `unet` follows the crop: log2(crop) downsamplings reduce it to 1x1 at the bottleneck. */
export function unetDepth(cropSize: number): number {
  const d = Math.log2(cropSize);
  if (!Number.isInteger(d) || d < 5)
    throw new Error(`generator "unet" needs a power-of-two crop_size >= 32, got ${cropSize}`);
  return d;
}

/** `recompute`: train.recompute (activation checkpointing; the same parameters and outputs). */
export function generatorFor(
  m: Pick<ModelConfig, 'generator' | 'ngf' | 'norm' | 'dropout'>,
  cropSize: number,
  channels = { in: 3, out: 3 },
  recompute = false,
): Layer {
  const common = {
    inChannels: channels.in,
    outChannels: channels.out,
    ngf: m.ngf,
    norm: m.norm,
    dropout: m.dropout === true,
    recompute,
  };
  switch (m.generator) {
    case 'unet_128':
      return unetGenerator({ ...common, numDowns: 7 });
    case 'unet_256':
      return unetGenerator({ ...common, numDowns: 8 });
    case 'unet':
      return unetGenerator({ ...common, numDowns: unetDepth(cropSize) });
    case 'resnet_6blocks':
      return resnetGenerator({ ...common, blocks: 6 });
    case 'resnet_9blocks':
      return resnetGenerator({ ...common, blocks: 9 });
  }
}

/** pix2pix's D sees (input, output) concatenated (6 channels); CycleGAN's sees one image (3). */
export function discriminatorFor(m: Pick<ModelConfig, 'discriminator' | 'ndf' | 'norm'>, inChannels: number): Layer {
  return discriminator({
    kind: m.discriminator.kind,
    nLayers: m.discriminator.n_layers,
    ndf: m.ndf,
    norm: m.norm,
    inChannels,
  });
}
