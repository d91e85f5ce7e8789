// The benchmark's training configurations, shared by the tfjs worker and the PyTorch reference script (which gets
// the same fields as JSON), so both sides time exactly the same networks and losses.
import type { TrainParams } from '../src/core/stage-params.js';

export interface BenchConfig {
  /** Issue 5's names: pix2pix-<size>-ngf<n>[-perceptual], cyclegan-128-resnet6. */
  name: string;
  kind: 'pix2pix' | 'cyclegan';
  generator: 'unet' | 'resnet_6blocks' | 'resnet_9blocks';
  size: number;
  ngf: number;
  perceptual: boolean;
  /** Discriminator width when not the default (pix2pix: ngf, CycleGAN: 64). */
  ndf?: number;
  /** ResNet blocks (pytorch_step.py reads it; default 6). */
  blocks?: number;
  /** train.recompute (activation recomputation). */
  recompute?: boolean;
}

function pix2pix(size: number, ngf: number, perceptual: boolean): BenchConfig {
  return {
    name: `pix2pix-${size}-ngf${ngf}${perceptual ? '-perceptual' : ''}`,
    kind: 'pix2pix',
    generator: 'unet',
    size,
    ngf,
    perceptual,
  };
}

/** CycleGAN with a ResNet generator; the name says what differs from ngf 64 (e.g. cyclegan-32-resnet9-ngf4). */
function cyclegan(size: number, blocks: 6 | 9, ngf = 64, extra: Partial<BenchConfig> = {}): BenchConfig {
  const suffix = (ngf === 64 ? '' : `-ngf${ngf}`) + (extra.recompute ? '-recompute' : '');
  return {
    name: `cyclegan-${size}-resnet${blocks}${suffix}`,
    kind: 'cyclegan',
    generator: `resnet_${blocks}blocks`,
    size,
    ngf,
    perceptual: false,
    blocks,
    ...extra,
  };
}

export const CONFIGS: BenchConfig[] = [
  pix2pix(64, 16, false),
  pix2pix(64, 16, true),
  pix2pix(128, 16, false),
  pix2pix(128, 16, true),
  pix2pix(256, 64, false),
  pix2pix(256, 64, true),
  cyclegan(128, 6),
  // bench/gpu: the full-size rows, and their tiny twins for a dry run on a software rasteriser.
  cyclegan(256, 9),
  pix2pix(32, 4, false),
  pix2pix(32, 4, true),
  cyclegan(32, 9, 4, { ndf: 4 }),
  // The goal's pix2pix graph (the same dispatches) at a width Dawn's null device holds: host_s with --null-device.
  pix2pix(256, 16, false),
  // pipelines/summer2winter-cyclegan.yaml's networks: out of the 4 GB wasm heap without recomputation.
  cyclegan(256, 9, 64, { recompute: true }),
];

/** bench/gpu's rows, and the tiny ones its --dry-run times instead. */
export const GPU = ['pix2pix-256-ngf64', 'pix2pix-256-ngf64-perceptual', 'cyclegan-256-resnet9'];
export const GPU_DRY_RUN = ['pix2pix-32-ngf4', 'pix2pix-32-ngf4-perceptual', 'cyclegan-32-resnet9-ngf4'];

/** `--quick`: the small rows, a few minutes on 2 cores. */
export const QUICK = ['pix2pix-64-ngf16', 'pix2pix-64-ngf16-perceptual', 'pix2pix-128-ngf16-perceptual'];

/** Perceptual weight of the seed experiment (VGG relu3_3). */
export const PERCEPTUAL_WEIGHT = 15;

export function configByName(name: string): BenchConfig {
  const c = CONFIGS.find((x) => x.name === name);
  if (!c) throw new Error(`unknown bench config ${name}; known: ${CONFIGS.map((x) => x.name).join(', ')}`);
  return c;
}

/** Full train params for a config: pytorch-CycleGAN-and-pix2pix defaults (batch norm + vanilla GAN for pix2pix,
 *  instance norm + LSGAN + cycle/identity for CycleGAN), batch 1. */
export function trainParamsFor(c: BenchConfig): TrainParams {
  const cyclegan = c.kind === 'cyclegan';
  return {
    dataset: {
      layout: cyclegan ? 'unaligned' : 'aligned',
      direction: 'AtoB',
      load_size: c.size,
      crop_size: c.size,
      flip: false,
    },
    model: {
      kind: c.kind,
      generator: c.generator,
      discriminator: { kind: 'patch', n_layers: 3 },
      norm: cyclegan ? 'instance' : 'batch',
      ngf: c.ngf,
      ndf: c.ndf ?? (cyclegan ? 64 : c.ngf),
      dropout: !cyclegan,
      init_gain: 0.02,
      pool_size: 50,
    },
    loss: {
      gan: { mode: cyclegan ? 'lsgan' : 'vanilla', weight: 1 },
      l1: { weight: cyclegan ? 0 : 100 },
      cycle: { lambda_A: 10, lambda_B: 10, identity: 0.5 },
      perceptual: {
        weight: c.perceptual ? PERCEPTUAL_WEIGHT : 0,
        backbone: 'vgg16',
        weights: 'torchvision',
        normalize: 'auto',
        layers: { relu3_3: 1 },
        cache_real: false,
      },
      lpips: { weight: 0, net: 'squeeze' },
      style: { weight: 0, layers: {} },
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
      checkpoint_every: 1,
      log_every: 1,
      recompute: c.recompute === true,
    },
  } as TrainParams;
}
