// ResNet generator as pytorch-CycleGAN-and-pix2pix's ResnetGenerator (padding_type 'reflect').
import { recomputed } from './recompute.js';
import {
  conv,
  convTranspose,
  dropout,
  convAct,
  convNorm,
  convNormResidual,
  reflectPad,
  seq,
  useBias,
  type Layer,
  type NormKind,
} from './layers.js';

export interface ResnetOptions {
  inChannels: number;
  outChannels: number;
  blocks: number;
  ngf: number;
  norm: NormKind;
  dropout: boolean;
  /** train.recompute: each segment (stem, each downsampling, each block, each upsampling, head) is checkpointed. */
  recompute?: boolean;
}

function resnetBlock(name: string, dim: number, o: ResnetOptions): Layer {
  const bias = useBias(o.norm);
  const head = seq(
    reflectPad(1),
    convNorm(
      conv(`${name}.conv1`, { cin: dim, cout: dim, k: 3, stride: 1, pad: 0, bias }),
      o.norm,
      `${name}.norm1`,
      dim,
      0,
    ),
    ...(o.dropout ? [dropout(0.5)] : []),
    reflectPad(1),
  );
  // x + norm2(conv2(...)): the residual add is fused into the norm on webgpu.
  const tail = convNormResidual(
    conv(`${name}.conv2`, { cin: dim, cout: dim, k: 3, stride: 1, pad: 0, bias }),
    o.norm,
    `${name}.norm2`,
    dim,
  );
  return { specs: [...head.specs, ...tail.specs], apply: (p, x, ctx) => tail.apply(p, head.apply(p, x, ctx), x, ctx) };
}

const TANH = { kind: 'tanh' } as const;

export function resnetGenerator(o: ResnetOptions): Layer {
  const bias = useBias(o.norm);
  const g = o.ngf;
  const segments: Layer[] = [
    seq(
      reflectPad(3),
      convNorm(conv('in', { cin: o.inChannels, cout: g, k: 7, stride: 1, pad: 0, bias }), o.norm, 'in.norm', g, 0),
    ),
  ];
  for (let i = 0; i < 2; i++) {
    const m = 2 ** i;
    segments.push(
      seq(
        convNorm(
          conv(`down${i}`, { cin: g * m, cout: g * m * 2, k: 3, stride: 2, pad: 1, bias }),
          o.norm,
          `down${i}.norm`,
          g * m * 2,
          0,
        ),
      ),
    );
  }
  for (let i = 0; i < o.blocks; i++) segments.push(resnetBlock(`block${i}`, g * 4, o));
  for (let i = 0; i < 2; i++) {
    const m = 2 ** (2 - i);
    segments.push(
      seq(
        convNorm(
          convTranspose(`up${i}`, { cin: g * m, cout: (g * m) / 2, k: 3, stride: 2, pad: 1, outPad: 1, bias }),
          o.norm,
          `up${i}.norm`,
          (g * m) / 2,
          0,
        ),
      ),
    );
  }
  segments.push(
    seq(
      reflectPad(3),
      convAct(conv('out', { cin: g, cout: o.outChannels, k: 7, stride: 1, pad: 0, bias: true }), TANH),
    ),
  );
  return seq(...(o.recompute ? segments.map(recomputed) : segments));
}
