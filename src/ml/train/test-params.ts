// Test support: a complete TrainParams with the schema's defaults, overridable per test.
import type { TrainParams } from '../../core/stage-params.js';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export function trainParams(o: DeepPartial<TrainParams> = {}): TrainParams {
  const base: TrainParams = {
    dataset: { layout: 'aligned', direction: 'BtoA', load_size: 64, crop_size: 64, flip: true },
    model: {
      kind: 'pix2pix',
      generator: 'unet',
      discriminator: { kind: 'patch', n_layers: 3 },
      norm: 'batch',
      ngf: 8,
      ndf: 8,
      dropout: true,
      init_gain: 0.02,
      pool_size: 50,
    },
    loss: {
      gan: { mode: 'vanilla', weight: 1 },
      l1: { weight: 100 },
      cycle: { lambda_A: 10, lambda_B: 10, identity: 0.5 },
      perceptual: {
        weight: 0,
        backbone: 'vgg16',
        weights: 'torchvision',
        normalize: 'auto',
        layers: { relu3_3: 1 },
        cache_real: false,
      },
      lpips: { weight: 0, net: 'squeeze' },
      style: { weight: 0, layers: { relu1_2: 1, relu2_2: 1, relu3_3: 1 } },
    },
    train: {
      epochs: 1,
      epochs_decay: 0,
      steps_per_epoch: null,
      batch_size: 1,
      lr: 0.0002,
      beta1: 0.5,
      beta2: 0.999,
      seed: 1,
      checkpoint_every: 5,
      log_every: 1,
      recompute: false,
    },
  };
  return merge(base, o) as TrainParams;
}

function merge(a: any, b: any): any {
  if (b === undefined) return a;
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null || Array.isArray(b)) return b;
  const out = { ...a };
  // Layer maps are values, not sections: replace them whole.
  for (const [k, v] of Object.entries(b)) out[k] = k === 'layers' ? v : merge(a[k], v);
  return out;
}
