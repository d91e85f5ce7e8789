// PatchGAN (NLayerDiscriminator) and PixelGAN (PixelDiscriminator) from pytorch-CycleGAN-and-pix2pix.
import { conv, convAct, convNorm, seq, useBias, type Layer, type NormKind } from './layers.js';

export interface DiscriminatorOptions {
  kind: 'patch' | 'pixel';
  inChannels: number;
  ndf: number;
  nLayers: number;
  norm: NormKind;
}

const LEAKY = { kind: 'leaky', alpha: 0.2 } as const;

export function patchDiscriminator(o: DiscriminatorOptions): Layer {
  const bias = useBias(o.norm);
  const layers: Layer[] = [
    convAct(conv('c0', { cin: o.inChannels, cout: o.ndf, k: 4, stride: 2, pad: 1, bias: true }), LEAKY),
  ];
  let mult = 1;
  for (let n = 1; n < o.nLayers; n++) {
    const prev = mult;
    mult = Math.min(2 ** n, 8);
    layers.push(
      convNorm(
        conv(`c${n}`, { cin: o.ndf * prev, cout: o.ndf * mult, k: 4, stride: 2, pad: 1, bias }),
        o.norm,
        `c${n}.norm`,
        o.ndf * mult,
        0.2,
      ),
    );
  }
  const prev = mult;
  mult = Math.min(2 ** o.nLayers, 8);
  layers.push(
    convNorm(
      conv(`c${o.nLayers}`, { cin: o.ndf * prev, cout: o.ndf * mult, k: 4, stride: 1, pad: 1, bias }),
      o.norm,
      `c${o.nLayers}.norm`,
      o.ndf * mult,
      0.2,
    ),
  );
  layers.push(conv('out', { cin: o.ndf * mult, cout: 1, k: 4, stride: 1, pad: 1, bias: true }));
  return seq(...layers);
}

export function pixelDiscriminator(o: DiscriminatorOptions): Layer {
  const bias = useBias(o.norm);
  return seq(
    convAct(conv('c0', { cin: o.inChannels, cout: o.ndf, k: 1, stride: 1, pad: 0, bias: true }), LEAKY),
    convNorm(
      conv('c1', { cin: o.ndf, cout: o.ndf * 2, k: 1, stride: 1, pad: 0, bias }),
      o.norm,
      'c1.norm',
      o.ndf * 2,
      0.2,
    ),
    conv('out', { cin: o.ndf * 2, cout: 1, k: 1, stride: 1, pad: 0, bias }),
  );
}

export function discriminator(o: DiscriminatorOptions): Layer {
  return o.kind === 'pixel' ? pixelDiscriminator(o) : patchDiscriminator(o);
}
