// `pipe validate`'s loss-balance warning: each configured generator term's expected size at step 1, from the measured
// table (loss-magnitudes.generated.ts, made by bench/loss-scales.ts on real weights and images), times its weight. A
// term expected above 100x or below 1/100 of the sum of the others either drowns them or does nothing.
import { LOSS_SCALES_MEASUREMENT } from './loss-magnitudes.generated.js';
import type { ResolvedConfig } from '../core/stage-params.js';

const M = LOSS_SCALES_MEASUREMENT.magnitudes;
type LayerTable = Readonly<Record<string, number>>;
const PERCEPTUAL = M.perceptual as Readonly<Record<string, LayerTable>>;
const STYLE = M.style as Readonly<Record<string, LayerTable>>;

/** Bound beyond which a term is reported (either way). */
export const BALANCE_FACTOR = 100;

/**
 * The table of a backbone/weights/normalize. VGG16 and torchvision VGG19 weights are not on this machine: they borrow
 * the Keras VGG19 rows under auto (features over their own RMS: of order 1 on any VGG) and input (the torchvision
 * scale, within the 2x homogeneity residual docs/losses.md reports). Other unmeasured sets give no estimate.
 */
function layerTable(
  all: Readonly<Record<string, LayerTable>>,
  backbone: string,
  weights: string,
  normalize: string,
): LayerTable | undefined {
  const own = all[`${backbone}/${weights}/${normalize}`];
  if (own) return own;
  const vgg = backbone === 'vgg16' || backbone === 'vgg19';
  return vgg && normalize !== 'none' ? all[`vgg19/keras/${normalize}`] : undefined;
}

function layered(table: LayerTable | undefined, layers: Record<string, number>): number | undefined {
  if (!table) return undefined;
  let sum = 0;
  for (const [l, w] of Object.entries(layers)) {
    if (w === 0) continue;
    if (table[l] === undefined) return undefined;
    sum += w * table[l]!;
  }
  return sum;
}

/** Expected weighted value of each active generator term at step 1 (per cycle half for CycleGAN); unknowns left out. */
export function expectedTerms(c: ResolvedConfig): Record<string, number> {
  const { loss } = c;
  const out: Record<string, number> = {};
  const put = (k: string, weight: number, unit: number | undefined) => {
    if (weight > 0 && unit !== undefined) out[k] = weight * unit;
  };
  put('gan', loss.gan.weight, M.gan[loss.gan.mode]);
  if (c.model.kind === 'pix2pix') put('l1', loss.l1.weight, M.l1);
  else {
    // An initialised generator's cycle and identity L1 are of the size of pix2pix's first L1 (outputs near grey).
    put('cycle', loss.cycle.lambda_A, M.l1);
    put('identity', loss.cycle.lambda_A * loss.cycle.identity, M.l1);
  }
  const p = loss.perceptual;
  const norm = p.normalize ?? 'auto';
  put('perceptual', p.weight, layered(layerTable(PERCEPTUAL, p.backbone, p.weights, norm), p.layers));
  put('style', loss.style.weight, layered(layerTable(STYLE, p.backbone, p.weights, norm), loss.style.layers));
  // Only the squeeze network is measured; LPIPS distances of all three networks lie in [0, ~1].
  put('lpips', loss.lpips.weight, M.lpips.squeeze);
  return out;
}

const fmt = (v: number) => (v >= 1e4 || v < 1e-2 ? v.toExponential(1) : String(Number(v.toPrecision(3))));

/** One message when some term is out of balance, else undefined. */
export function lossBalanceWarning(c: ResolvedConfig): string | undefined {
  const terms = expectedTerms(c);
  const keys = Object.keys(terms);
  if (keys.length < 2) return undefined;
  const total = keys.reduce((s, k) => s + terms[k]!, 0);
  const big = keys.filter((k) => terms[k]! > BALANCE_FACTOR * (total - terms[k]!));
  const small = keys.filter((k) => terms[k]! * BALANCE_FACTOR < total - terms[k]!);
  if (big.length === 0 && small.length === 0) return undefined;
  const what = [
    ...big.map((k) => `loss.${k} is expected at over ${BALANCE_FACTOR}x the other terms`),
    ...small.map((k) => `loss.${k} at under 1/${BALANCE_FACTOR} of the others`),
  ].join('; ');
  const sizes = keys.map((k) => `${k} ${fmt(terms[k]!)}`).join(', ');
  return (
    `${what} (expected weighted terms at step 1: ${sizes}; measured, see docs/losses.md). ` +
    'Adjust the weights, or check loss.perceptual.normalize.'
  );
}
