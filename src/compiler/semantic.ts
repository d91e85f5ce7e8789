// Checks the schema can't express: relations between keys, names that refer to other parts of the
// pipeline, and model shapes that don't fit the crop size.
import type { PathSegment } from './diagnostics.js';
import type { ResolvedConfig } from '../core/stage-params.js';
import { BACKBONE_LAYERS, BACKBONE_WEIGHTS } from '../core/backbones.js';
import { unknownNameHint } from './suggest.js';

export interface Issue {
  /** Config key path the problem is about (where it points unless a related key was overridden). */
  path: PathSegment[];
  /** Other keys involved; if the config overrides one of them, the diagnostic points there instead. */
  related?: PathSegment[][];
  anchor: 'key' | 'value';
  message: string;
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** Why `generator` can't take a crop of `crop` pixels, or undefined if it can. */
export function generatorMisfit(generator: string, crop: number): string | undefined {
  switch (generator) {
    case 'unet_256':
      return crop % 256 === 0
        ? undefined
        : `unet_256 down-samples 8 times and needs crop_size divisible by 256, got ${crop}`;
    case 'unet_128':
      return crop % 128 === 0
        ? undefined
        : `unet_128 down-samples 7 times and needs crop_size divisible by 128, got ${crop}`;
    case 'unet':
      // The U-Net's five fixed outer levels need at least 5 down-samplings: crop >= 32.
      return isPowerOfTwo(crop) && crop >= 32
        ? undefined
        : `unet picks its depth as log2(crop_size) and needs a power of two >= 32, got ${crop}`;
    default:
      return crop % 4 === 0
        ? undefined
        : `${generator} down-samples twice and needs crop_size divisible by 4, got ${crop}`;
  }
}

/** Output side of the PatchGAN (k4 s2 convs n_layers times, then two k4 s1 p1 convs). */
export function patchOutputSize(crop: number, nLayers: number): number {
  let s = crop;
  for (let i = 0; i < nLayers; i++) s = Math.floor(s / 2);
  return s - 2;
}

// eslint-disable-next-line max-lines-per-function -- independent rules of a few lines each; to split next
export function checkConfig(c: ResolvedConfig): Issue[] {
  const issues: Issue[] = [];
  const d = c.dataset;
  const hasSource = d.source !== null;
  const hasPath = d.path !== null;
  if (hasSource === hasPath) {
    issues.push({
      path: hasSource ? ['dataset', 'path'] : ['dataset'],
      related: [['dataset', 'source']],
      anchor: 'key',
      message: hasSource
        ? 'give either source (a registered dataset) or path (your own folder), not both'
        : 'missing dataset source: give source (a registered dataset, e.g. facades) or path (your own folder)',
    });
  }
  if (d.crop_size > d.load_size) {
    issues.push({
      path: ['dataset', 'crop_size'],
      related: [['dataset', 'load_size']],
      anchor: 'value',
      message: `crop_size ${d.crop_size} is larger than load_size ${d.load_size}; images are resized to load_size and then cropped, so crop_size must be <= load_size`,
    });
  }
  const misfit = generatorMisfit(c.model.generator, d.crop_size);
  if (misfit)
    issues.push({
      path: ['model', 'generator'],
      related: [['dataset', 'crop_size']],
      anchor: 'value',
      message: misfit,
    });
  const disc = c.model.discriminator;
  if (disc.kind === 'patch' && patchOutputSize(d.crop_size, disc.n_layers) < 1) {
    issues.push({
      path: ['model', 'discriminator', 'n_layers'],
      related: [['dataset', 'crop_size']],
      anchor: 'value',
      message: `a PatchGAN with ${disc.n_layers} layers has no output left for crop_size ${d.crop_size}; use fewer layers or a larger crop`,
    });
  }
  if (d.max_images !== null && c.train.batch_size > d.max_images) {
    issues.push({
      path: ['train', 'batch_size'],
      related: [['dataset', 'max_images']],
      anchor: 'value',
      message: `batch_size ${c.train.batch_size} is larger than the ${d.max_images} training images of dataset.max_images; no full batch could be formed`,
    });
  }
  if (c.model.kind === 'pix2pix' && d.layout === 'unaligned') {
    issues.push({
      path: ['model', 'kind'],
      related: [['dataset', 'layout']],
      anchor: 'value',
      message: 'pix2pix needs paired images (dataset.layout: aligned); for unpaired folders use kind: cyclegan',
    });
  }
  const p = c.loss.perceptual;
  const known: readonly string[] = BACKBONE_LAYERS[p.backbone];
  const layerTerms: Array<['perceptual' | 'style', Record<string, number>, number]> = [
    ['perceptual', p.layers, p.weight],
    ['style', c.loss.style.layers, c.loss.style.weight],
  ];
  for (const [term, layers, weight] of layerTerms) {
    if (weight === 0) continue; // a disabled term's layers are never built
    for (const name of Object.keys(layers)) {
      if (known.includes(name)) continue;
      issues.push({
        path: ['loss', term, 'layers', name],
        related: [['loss', 'perceptual', 'backbone']],
        anchor: 'key',
        // Near-misses are ambiguous here (relu5_4 is as close to relu5_1 as to relu5_3): list them all.
        message: `${p.backbone} has no layer "${name}"; ${p.backbone} layers: ${known.join(', ')}`,
      });
    }
  }
  if ((p.weight > 0 || c.loss.style.weight > 0) && !BACKBONE_WEIGHTS[p.backbone].includes(p.weights)) {
    issues.push({
      path: ['loss', 'perceptual', 'weights'],
      related: [['loss', 'perceptual', 'backbone']],
      anchor: 'value',
      message: `no ${p.weights} weights exist for ${p.backbone}; use ${BACKBONE_WEIGHTS[p.backbone].join(' or ')}`,
    });
  }
  if (p.cache_real && (d.flip || d.load_size !== d.crop_size)) {
    const why = d.flip
      ? 'dataset.flip is true, so the real image is mirrored at random'
      : `load_size ${d.load_size} != crop_size ${d.crop_size}, so the real image is cropped at a random offset`;
    issues.push({
      path: ['loss', 'perceptual', 'cache_real'],
      related: d.flip
        ? [['dataset', 'flip']]
        : [
            ['dataset', 'load_size'],
            ['dataset', 'crop_size'],
          ],
      anchor: 'value',
      message: `cache_real reuses phi(real) computed once per image, but ${why} every epoch and the cached features would not match it; set flip: false and load_size equal to crop_size, or cache_real: false`,
    });
  }
  return issues;
}

/** Checks of names that refer to variants, configs and metrics (once, on the base config). */
export function checkReferences(
  base: ResolvedConfig,
  configs: ReadonlyArray<{ id: string; variant: string; config: ResolvedConfig }>,
): Issue[] {
  const issues: Issue[] = [];
  const variants = [...new Set(configs.map((c) => c.variant))];
  const names = [...variants, ...configs.map((c) => c.id).filter((id) => !variants.includes(id))];
  const matching = (name: string) => configs.filter((c) => c.variant === name || c.id === name);
  const unknown = (name: string) => `no variant or config named "${name}"${unknownNameHint(name, names, 'variants')}`;
  if (base.report.baseline !== null && matching(base.report.baseline).length === 0) {
    issues.push({ path: ['report', 'baseline'], anchor: 'value', message: unknown(base.report.baseline) });
  }
  base.checks.forEach((check, i) => {
    const targets: Array<['variant' | 'max_drop_vs', string]> = [['variant', check.variant]];
    if (check.max_drop_vs !== null) targets.push(['max_drop_vs', check.max_drop_vs]);
    for (const [key, name] of targets) {
      const matched = matching(name);
      if (matched.length === 0) {
        issues.push({ path: ['checks', i, key], anchor: 'value', message: unknown(name) });
        continue;
      }
      const missing = matched.filter((c) => !c.config.evaluate.metrics.includes(check.metric));
      if (missing.length > 0) {
        issues.push({
          path: ['checks', i, 'metric'],
          anchor: 'value',
          message: `"${check.metric}" is not in evaluate.metrics of ${missing.map((c) => c.id).join(', ')} (${missing[0].config.evaluate.metrics.join(', ')}); add it there`,
        });
      }
    }
    if (check.min === null && check.max === null && check.max_drop_vs === null) {
      issues.push({ path: ['checks', i], anchor: 'value', message: 'a check needs min, max or max_drop_vs' });
    }
  });
  return issues;
}
