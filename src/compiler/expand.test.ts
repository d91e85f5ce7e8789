import { describe, expect, it } from 'vitest';
import { compile, diagnostics, minimal } from './test-helpers.js';
import { valueLabel } from './expand.js';

const ids = (text: string) => compile(text).configs.map((c) => c.id);

describe('variants x sweep expansion', () => {
  it('gives one config named base without variants or sweep', () => {
    const { configs } = compile(minimal());
    expect(configs.map((c) => [c.id, c.variant, c.overrides])).toEqual([['base', 'base', {}]]);
  });

  it('keeps variant names as ids and applies their overrides', () => {
    const { configs } = compile(
      minimal('variants:', '  l1: {}', '  perceptual: { loss.l1.weight: 0, loss.perceptual.weight: 15 }'),
    );
    expect(configs.map((c) => c.id)).toEqual(['l1', 'perceptual']);
    expect(configs[1].overrides).toEqual({ 'loss.l1.weight': 0, 'loss.perceptual.weight': 15 });
    expect(configs[1].config.loss.l1.weight).toBe(0);
    expect(configs[1].config.loss.perceptual.weight).toBe(15);
    expect(configs[0].config.loss.perceptual.weight).toBe(0);
  });

  it('multiplies every variant by the grid, last key fastest', () => {
    const text = minimal(
      'variants: { l1: {}, perceptual: { loss.perceptual.weight: 1 } }',
      'sweep:',
      '  grid:',
      '    loss.perceptual.layers: [{ relu2_2: 1 }, { relu3_3: 1 }]',
      '    train.seed: [1, 2, 3]',
    );
    const got = ids(text);
    expect(got).toHaveLength(12);
    expect(got.slice(6, 9)).toEqual([
      'perceptual-layers=relu2_2-seed=1',
      'perceptual-layers=relu2_2-seed=2',
      'perceptual-layers=relu2_2-seed=3',
    ]);
    expect(got).toContain('perceptual-layers=relu3_3-seed=2');
    expect(new Set(got).size).toBe(12);
    const c = compile(text).configs.find((x) => x.id === 'perceptual-layers=relu3_3-seed=2');
    expect(c?.config.loss.perceptual.layers).toEqual({ relu3_3: 1 });
    expect(c?.config.train.seed).toBe(2);
    expect(c?.overrides).toEqual({
      'loss.perceptual.weight': 1,
      'loss.perceptual.layers': { relu3_3: 1 },
      'train.seed': 2,
    });
  });

  it('pairs zip lists and multiplies them with the grid', () => {
    const text = minimal(
      'sweep:',
      '  grid: { train.seed: [1, 2] }',
      '  zip: { train.lr: [0.1, 0.2, 0.3], train.epochs: [1, 2, 3] }',
    );
    const { configs } = compile(text);
    expect(configs).toHaveLength(6);
    expect(configs.map((c) => c.id)).toEqual([
      'seed=1-lr=0.1-epochs=1',
      'seed=1-lr=0.2-epochs=2',
      'seed=1-lr=0.3-epochs=3',
      'seed=2-lr=0.1-epochs=1',
      'seed=2-lr=0.2-epochs=2',
      'seed=2-lr=0.3-epochs=3',
    ]);
    expect(configs[4].config.train).toMatchObject({ seed: 2, lr: 0.2, epochs: 2 });
  });

  it('tells paths with the same last key apart in ids', () => {
    const got = ids(minimal('sweep:', '  grid: { loss.perceptual.weight: [1], loss.style.weight: [0, 2] }'));
    expect(got).toEqual(['perceptual.weight=1-style.weight=0', 'perceptual.weight=1-style.weight=2']);
  });

  it('makes ids filesystem-safe and unique', () => {
    const got = ids(
      minimal('sweep:', '  grid: { dataset.path: ["a/b", "a b"] }').replace('source: facades', 'source: null'),
    );
    expect(got).toEqual(['path=a_b', 'path=a_b-2']);
  });

  it('names object values by their keys and lists by their items', () => {
    expect(valueLabel({ relu2_2: 1, relu3_3: 0.5 })).toBe('relu2_2+relu3_3');
    expect(valueLabel(['ssim', 'psnr'])).toBe('ssim+psnr');
    expect(valueLabel(0.0002)).toBe('0.0002');
  });

  it('rejects a key in both grid and zip', () => {
    const d = diagnostics(minimal('sweep:', '  grid: { train.seed: [1, 2] }', '  zip: { train.seed: [3, 4] }'));
    expect(d.map((x) => [x.line, x.path, x.message])).toEqual([
      [6, 'sweep.zip.train.seed', '"train.seed" is in both sweep.grid and sweep.zip; keep it in one'],
    ]);
  });

  it('fills defaults inside object-valued overrides', () => {
    const { configs } = compile(minimal('variants: { pixel: { model.discriminator: { kind: pixel } } }'));
    expect(configs[0].config.model.discriminator).toEqual({ kind: 'pixel', n_layers: 3 });
  });
});

describe('YAML conveniences', () => {
  it('supports anchors and merge keys in variants', () => {
    const { configs } = compile(
      minimal('variants:', '  a: &a { train.seed: 2, train.epochs: 3 }', '  b: { <<: *a, train.seed: 5 }'),
    );
    expect(configs.map((c) => [c.id, c.config.train.seed, c.config.train.epochs])).toEqual([
      ['a', 2, 3],
      ['b', 5, 3],
    ]);
  });
});
