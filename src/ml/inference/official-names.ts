// pipe's generator parameter names <-> the state_dict keys of pytorch-CycleGAN-and-pix2pix's networks.py
// (UnetGenerator / UnetSkipConnectionBlock, ResnetGenerator / ResnetBlock), read from its sources.
//
// U-Net: the generator's `model` is the outermost skip block; each block keeps its layers in an
// nn.Sequential called `model`, and the next block inward is one element of it (index 1 in the outermost
// block, 3 in the middle ones). Inside a block: outermost [downconv 0, sub 1, relu 2, upconv 3, tanh 4];
// middle [lrelu 0, downconv 1, downnorm 2, sub 3, relu 4, upconv 5, upnorm 6, dropout 7];
// innermost [lrelu 0, downconv 1, relu 2, upconv 3, upnorm 4].
// ResNet: one flat nn.Sequential `model`: pad 0, conv 1, norm 2, relu 3, then (conv, norm, relu) x2 at 4..9,
// the blocks at 10.., then (convT, norm, relu) x2 and pad, conv, tanh. A block's `conv_block` is
// [pad 0, conv 1, norm 2, relu 3, (dropout 4), pad, conv, norm].
// Norm layers without parameters (InstanceNorm2d(affine=False), Identity) still take their index.
import type { NormKind } from '../models/layers.js';

export interface GeneratorArch {
  generator: 'unet' | 'unet_128' | 'unet_256' | 'resnet_6blocks' | 'resnet_9blocks';
  ngf: number;
  norm: NormKind;
  dropout: boolean;
  /** U-Net downsamplings (7 for unet_128, 8 for unet_256, log2(crop) for unet). */
  numDowns?: number;
}

/** One parameter: pipe's name and the official key (weights also change layout, see toTorchLayout). */
export interface NamePair {
  pipe: string;
  official: string;
  kind: 'conv' | 'norm';
}

/** The BatchNorm2d buffers PyTorch keeps beside weight and bias. */
export const BN_BUFFERS = ['running_mean', 'running_var', 'num_batches_tracked'] as const;

export function numDownsOf(arch: GeneratorArch, cropSize?: number): number {
  if (arch.generator === 'unet_128') return 7;
  if (arch.generator === 'unet_256') return 8;
  if (arch.numDowns) return arch.numDowns;
  if (!cropSize) throw new Error('generator "unet" needs a crop size to know its depth');
  return Math.log2(cropSize);
}

function unetPrefix(level: number): string {
  return level === 0 ? 'model.model.' : `model.model.1.${'model.3.'.repeat(level - 1)}model.`;
}

function conv(out: NamePair[], pipe: string, official: string, bias: boolean): void {
  out.push({ pipe: `${pipe}.weight`, official: `${official}.weight`, kind: 'conv' });
  if (bias) out.push({ pipe: `${pipe}.bias`, official: `${official}.bias`, kind: 'conv' });
}

function normPair(out: NamePair[], kind: NormKind, pipe: string, official: string): void {
  if (kind !== 'batch') return;
  out.push(
    { pipe: `${pipe}.weight`, official: `${official}.weight`, kind: 'norm' },
    { pipe: `${pipe}.bias`, official: `${official}.bias`, kind: 'norm' },
  );
}

/** Depth first, as nn.Module.state_dict walks: a block's own layers in index order, the inner block at its index. */
function unetPairs(arch: GeneratorArch, numDowns: number): NamePair[] {
  const out: NamePair[] = [];
  const bias = arch.norm === 'instance';
  const inner = numDowns - 1;
  const level = (l: number): void => {
    const p = unetPrefix(l);
    if (l === 0) {
      conv(out, 'down0', `${p}0`, bias);
      level(1);
      conv(out, 'up0', `${p}3`, true);
    } else if (l === inner) {
      conv(out, `down${l}`, `${p}1`, bias);
      conv(out, `up${l}`, `${p}3`, bias);
      normPair(out, arch.norm, `upnorm${l}`, `${p}4`);
    } else {
      conv(out, `down${l}`, `${p}1`, bias);
      normPair(out, arch.norm, `downnorm${l}`, `${p}2`);
      level(l + 1);
      conv(out, `up${l}`, `${p}5`, bias);
      normPair(out, arch.norm, `upnorm${l}`, `${p}6`);
    }
  };
  level(0);
  return out;
}

function resnetPairs(arch: GeneratorArch, blocks: number): NamePair[] {
  const out: NamePair[] = [];
  const bias = arch.norm === 'instance';
  conv(out, 'in', 'model.1', bias);
  normPair(out, arch.norm, 'in.norm', 'model.2');
  for (let i = 0; i < 2; i++) {
    conv(out, `down${i}`, `model.${4 + 3 * i}`, bias);
    normPair(out, arch.norm, `down${i}.norm`, `model.${5 + 3 * i}`);
  }
  const second = arch.dropout ? 6 : 5;
  for (let b = 0; b < blocks; b++) {
    const p = `model.${10 + b}.conv_block`;
    conv(out, `block${b}.conv1`, `${p}.1`, bias);
    normPair(out, arch.norm, `block${b}.norm1`, `${p}.2`);
    conv(out, `block${b}.conv2`, `${p}.${second}`, bias);
    normPair(out, arch.norm, `block${b}.norm2`, `${p}.${second + 1}`);
  }
  for (let i = 0; i < 2; i++) {
    conv(out, `up${i}`, `model.${10 + blocks + 3 * i}`, bias);
    normPair(out, arch.norm, `up${i}.norm`, `model.${11 + blocks + 3 * i}`);
  }
  conv(out, 'out', `model.${17 + blocks}`, true);
  return out;
}

/** Every trainable parameter of the generator, pipe name beside official key, in the official order. */
export function officialPairs(arch: GeneratorArch, cropSize?: number): NamePair[] {
  if (arch.generator.startsWith('resnet')) return resnetPairs(arch, arch.generator === 'resnet_6blocks' ? 6 : 9);
  return unetPairs(arch, numDownsOf(arch, cropSize));
}

/** Official keys of the BatchNorm2d layers (the prefix before `.weight`), for their running-statistics buffers. */
export function batchNormPrefixes(pairs: NamePair[]): { pipe: string; official: string }[] {
  return pairs
    .filter((p) => p.kind === 'norm' && p.pipe.endsWith('.weight'))
    .map((p) => ({ pipe: p.pipe.slice(0, -'.weight'.length), official: p.official.slice(0, -'.weight'.length) }));
}

/** pipe's HWIO conv weight / [k,k,out,in] transposed-conv weight -> PyTorch's [out,in,k,k] / [in,out,k,k]. */
export function toTorchLayout(data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 4) return { data, shape };
  return permute4(data, shape, [3, 2, 0, 1]);
}

export function torchShape(shape: number[]): number[] {
  return shape.length === 4 ? [shape[3]!, shape[2]!, shape[0]!, shape[1]!] : shape;
}

/** The inverse of toTorchLayout. */
export function fromTorchLayout(data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  if (shape.length !== 4) return { data, shape };
  return permute4(data, shape, [2, 3, 1, 0]);
}

/** out[i_perm] = in[i]: output axis k is input axis perm[k]. */
export function permute4(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]!);
  const inStride = [shape[1]! * shape[2]! * shape[3]!, shape[2]! * shape[3]!, shape[3]!, 1];
  const s = perm.map((p) => inStride[p]!);
  const out = new Float32Array(data.length);
  let o = 0;
  const [d0, d1, d2, d3] = outShape as [number, number, number, number];
  for (let a = 0; a < d0; a++)
    for (let b = 0; b < d1; b++)
      for (let c = 0; c < d2; c++) {
        const base = a * s[0]! + b * s[1]! + c * s[2]!;
        for (let d = 0; d < d3; d++) out[o++] = data[base + d * s[3]!]!;
      }
  return { data: out, shape: outShape };
}
