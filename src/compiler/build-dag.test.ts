import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/canonical-json.js';
import { compile, minimal, yaml } from './test-helpers.js';
import type { TrainParams } from '../core/stage-params.js';

describe('stage DAG', () => {
  it('builds dataset -> train -> evaluate per config -> one report', () => {
    const { dag } = compile(minimal('variants: { l1: {}, perceptual: { loss.perceptual.weight: 1 } }'));
    expect(Object.keys(dag.stages)).toEqual([
      'dataset',
      'train/l1',
      'evaluate/l1',
      'train/perceptual',
      'evaluate/perceptual',
      'report',
    ]);
    expect(dag.deps).toEqual({
      dataset: [],
      'train/l1': ['dataset'],
      'evaluate/l1': ['dataset', 'train/l1'],
      'train/perceptual': ['dataset'],
      'evaluate/perceptual': ['dataset', 'train/perceptual'],
      report: ['train/l1', 'evaluate/l1', 'train/perceptual', 'evaluate/perceptual'],
    });
    expect(dag.stages.report.inputs).toEqual({
      'train:l1': 'train/l1',
      'evaluate:l1': 'evaluate/l1',
      'train:perceptual': 'train/perceptual',
      'evaluate:perceptual': 'evaluate/perceptual',
    });
    expect(dag.stages.dataset.configs).toEqual(['l1', 'perceptual']);
    expect(dag.pipeline).toBe('t');
  });

  it('shares the train stage between variants that differ only in evaluation', () => {
    const { dag } = compile(
      minimal('variants: { full: {}, quick: { evaluate.max_images: 5, evaluate.lpips_net: vgg } }'),
    );
    expect(Object.keys(dag.stages)).toEqual(['dataset', 'train/full', 'evaluate/full', 'evaluate/quick', 'report']);
    expect(dag.stages['train/full'].configs).toEqual(['full', 'quick']);
    expect(dag.stages['evaluate/quick'].inputs).toEqual({ dataset: 'dataset', train: 'train/full' });
    expect(dag.stages.report.inputs['train:quick']).toBe('train/full');
  });

  it('merges identical variants completely', () => {
    const { dag } = compile(minimal('variants: { a: {}, b: { train.seed: 1 } }'));
    expect(Object.keys(dag.stages)).toEqual(['dataset', 'train/a', 'evaluate/a', 'report']);
    expect(dag.stages['evaluate/a'].configs).toEqual(['a', 'b']);
    expect(dag.stages.report.inputs).toMatchObject({ 'train:b': 'train/a', 'evaluate:b': 'evaluate/a' });
  });

  it('shares one dataset stage across a seed sweep and splits it when dataset params differ', () => {
    const swept = compile(minimal('sweep: { grid: { train.seed: [1, 2, 3] } }')).dag;
    expect(Object.values(swept.stages).filter((s) => s.kind === 'dataset')).toHaveLength(1);
    expect(Object.values(swept.stages).filter((s) => s.kind === 'train')).toHaveLength(3);
    const split = compile(minimal('variants: { a: {}, b: { dataset.max_images: 10 } }')).dag;
    expect(Object.keys(split.stages).filter((id) => id.startsWith('dataset'))).toEqual(['dataset/a', 'dataset/b']);
    expect(split.stages['train/b'].inputs).toEqual({ dataset: 'dataset/b' });
  });

  it('writes canonical params with every default, whatever the key order in the file', () => {
    const a = compile(
      yaml(
        'name: t',
        'dataset: { source: facades, load_size: 64, crop_size: 64 }',
        'model: { generator: unet, ngf: 16 }',
      ),
    ).dag;
    const b = compile(
      yaml(
        'model: { ngf: 16, generator: unet }',
        'dataset: { crop_size: 64, source: facades, load_size: 64 }',
        'name: t',
      ),
    ).dag;
    expect(canonicalJson(a.stages)).toBe(canonicalJson(b.stages));
    const train = a.stages['train/base'].params as unknown as TrainParams;
    expect(train.train).toEqual({
      epochs: 100,
      epochs_decay: 100,
      steps_per_epoch: null,
      batch_size: 1,
      lr: 0.0002,
      beta1: 0.5,
      beta2: 0.999,
      seed: 1,
      checkpoint_every: 5,
      log_every: 10,
      recompute: false,
    });
    expect(train.loss.perceptual).toEqual({
      weight: 0,
      backbone: 'vgg16',
      weights: 'torchvision',
      normalize: 'auto',
      layers: { relu3_3: 1 },
      cache_real: false,
    });
    expect(train.model.discriminator).toEqual({ kind: 'patch', n_layers: 3 });
    expect(a.stages.dataset.params).toEqual({
      source: 'facades',
      path: null,
      layout: 'aligned',
      direction: 'AtoB',
      load_size: 64,
      crop_size: 64,
      max_images: null,
      train_split: 'train',
      eval_split: 'test',
    });
  });

  it('gives the report every config with its overrides and the base without variants', () => {
    const { dag } = compile(
      minimal('variants: { a: {}, b: { train.seed: 2 } }', 'checks: [{ variant: b, metric: ssim, min: 0.1 }]'),
    );
    const p = dag.stages.report.params as Record<string, unknown>;
    expect(p.configs).toEqual([
      { id: 'a', variant: 'a', overrides: {} },
      { id: 'b', variant: 'b', overrides: { 'train.seed': 2 } },
    ]);
    expect(p.checks).toEqual([
      { variant: 'b', metric: 'ssim', min: 0.1, max: null, max_drop_vs: null, by: 0, on: 'mean' },
    ]);
    expect(Object.keys(p.base as object)).not.toContain('variants');
    expect(dag.stages.report.configs).toEqual(['a', 'b']);
  });
});
