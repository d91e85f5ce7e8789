// U-Net generator as pytorch-CycleGAN-and-pix2pix's UnetGenerator / UnetSkipConnectionBlock.
import { concatRelu } from '../ops/index.js';
import { recomputed } from './recompute.js';
import {
  conv,
  convTranspose,
  dropout,
  leakyRelu,
  convAct,
  convNorm,
  relu,
  seq,
  useBias,
  type Layer,
  type NormKind,
} from './layers.js';

export interface UnetOptions {
  inChannels: number;
  outChannels: number;
  /** Number of stride-2 downsamplings: 7 for unet_128, 8 for unet_256; >= 5. */
  numDowns: number;
  ngf: number;
  norm: NormKind;
  dropout: boolean;
  /** train.recompute: each level's down path and up path are checkpointed segments. */
  recompute?: boolean;
}

type Role = 'outermost' | 'middle' | 'innermost';

/**
 * One skip block. `level` 0 is the outermost. Non-outermost blocks start with an in-place
 * LeakyReLU on their input in the reference, so the skip branch concatenates leaky_relu(x), not x;
 * we reproduce that arithmetic. That LeakyReLU is applied by the enclosing block, right after its down
 * norm (convNorm: one fused op on webgpu) or, below the outermost block, after its down conv. The
 * ReLU that starts each up path (on the concatenation from the level below) is applied by that level,
 * with its concat (concatRelu: one op on webgpu). So a non-outermost block takes h = leaky_relu(x)
 * and returns relu(concat(h, body(h))).
 */
function block(
  level: number,
  outerNc: number,
  innerNc: number,
  inputNc: number,
  role: Role,
  o: UnetOptions,
  sub?: Layer,
  drop = false,
): Layer {
  const bias = useBias(o.norm);
  const downconv = conv(`down${level}`, { cin: inputNc, cout: innerNc, k: 4, stride: 2, pad: 1, bias });
  const ck = (l: Layer) => (o.recompute ? recomputed(l) : l);
  if (role === 'outermost') {
    const upconv = convTranspose(`up${level}`, {
      cin: innerNc * 2,
      cout: outerNc,
      k: 4,
      stride: 2,
      pad: 1,
      bias: true,
    });
    return seq(downconv, leakyRelu(0.2), sub!, ck(convAct(upconv, { kind: 'tanh' })));
  }
  const body =
    role === 'innermost'
      ? ck(
          seq(
            downconv,
            relu(),
            convNorm(
              convTranspose(`up${level}`, { cin: innerNc, cout: outerNc, k: 4, stride: 2, pad: 1, bias }),
              o.norm,
              `upnorm${level}`,
              outerNc,
            ),
          ),
        )
      : seq(
          ck(convNorm(downconv, o.norm, `downnorm${level}`, innerNc, 0.2)),
          sub!,
          ck(
            seq(
              convNorm(
                convTranspose(`up${level}`, { cin: innerNc * 2, cout: outerNc, k: 4, stride: 2, pad: 1, bias }),
                o.norm,
                `upnorm${level}`,
                outerNc,
              ),
              ...(drop ? [dropout(0.5)] : []),
            ),
          ),
        );
  return {
    specs: body.specs,
    apply: (p, h, ctx) => concatRelu(h, body.apply(p, h, ctx)),
  };
}

export function unetGenerator(o: UnetOptions): Layer {
  if (o.numDowns < 5) throw new Error(`U-Net needs at least 5 downsamplings (crop >= 32), got ${o.numDowns}`);
  const g = o.ngf;
  // Levels are numbered from the outside in; the innermost is numDowns-1.
  let level = o.numDowns - 1;
  let b = block(level--, g * 8, g * 8, g * 8, 'innermost', o);
  for (let i = 0; i < o.numDowns - 5; i++) b = block(level--, g * 8, g * 8, g * 8, 'middle', o, b, o.dropout);
  b = block(level--, g * 4, g * 8, g * 4, 'middle', o, b);
  b = block(level--, g * 2, g * 4, g * 2, 'middle', o, b);
  b = block(level--, g, g * 2, g, 'middle', o, b);
  return block(level, o.outChannels, g, o.inChannels, 'outermost', o, b);
}
