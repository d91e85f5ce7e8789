import { describe, expect, it } from 'vitest';
import { compile, diagnostics, minimal } from './test-helpers.js';

describe('--set overrides', () => {
  it('types values by the schema', () => {
    const c = compile(minimal(), [
      'train.epochs=2',
      'dataset.flip=false',
      'train.lr=1e-3',
      'loss.perceptual.layers={relu2_2: 1, relu3_3: 0.5}',
      'name=123',
      'dataset.max_images=null',
      'evaluate.metrics=[ssim, psnr]',
    ]).config;
    expect(c.train.epochs).toBe(2);
    expect(c.dataset.flip).toBe(false);
    expect(c.train.lr).toBe(0.001);
    expect(c.loss.perceptual.layers).toEqual({ relu2_2: 1, relu3_3: 0.5 });
    // name is a string in the schema: "123" stays text.
    expect(c.name).toBe('123');
    expect(c.dataset.max_images).toBeNull();
    expect(c.evaluate.metrics).toEqual(['ssim', 'psnr']);
  });

  it('fills defaults inside an object value', () => {
    const c = compile(minimal(), ['model.discriminator={kind: pixel}']).config;
    expect(c.model.discriminator).toEqual({ kind: 'pixel', n_layers: 3 });
  });

  it('applies to the base, under the variants', () => {
    const { configs } = compile(minimal('variants: { a: {}, b: { train.epochs: 7 } }'), ['train.epochs=2']);
    expect(configs.map((c) => [c.id, c.config.train.epochs])).toEqual([
      ['a', 2],
      ['b', 7],
    ]);
  });

  it('reports unknown paths, bad values and malformed arguments against the --set argument', () => {
    const d = diagnostics(minimal(), [
      'train.epoch=2',
      'dataset.flip=maybe',
      'oops',
      'train.epochs.x=1',
      'dataset.crop_size=4',
    ]);
    expect(d).toEqual([
      {
        file: '--set',
        line: 0,
        col: 0,
        arg: 'train.epoch=2',
        path: 'train.epoch',
        message: 'unknown key "epoch" in train (did you mean "epochs"?)',
      },
      {
        file: '--set',
        line: 0,
        col: 0,
        arg: 'dataset.flip=maybe',
        path: 'dataset.flip',
        message: 'expected boolean, got string "maybe"',
      },
      {
        file: '--set',
        line: 0,
        col: 0,
        arg: 'oops',
        path: 'oops',
        message: 'expected KEY=VALUE, e.g. --set train.epochs=2',
      },
      {
        file: '--set',
        line: 0,
        col: 0,
        arg: 'train.epochs.x=1',
        path: 'train.epochs.x',
        message: '"train.epochs" is an integer, not a map; it has no key "x"',
      },
      {
        file: '--set',
        line: 0,
        col: 0,
        arg: 'dataset.crop_size=4',
        path: 'dataset.crop_size',
        message: 'must be >= 8, got 4',
      },
    ]);
  });

  it('blames the --set for a semantic error it causes', () => {
    const d = diagnostics(minimal(), ['dataset.crop_size=128']);
    expect(d[0]).toMatchObject({ file: '--set', arg: 'dataset.crop_size=128', path: 'dataset.crop_size' });
    expect(d[0].message).toMatch(/crop_size 128 is larger than load_size 64/);
  });

  it('renders --set diagnostics as "--set ARG: path: message"', () => {
    try {
      compile(minimal(), ['train.epoch=2']);
    } catch (e) {
      expect((e as Error).message).toBe(
        '--set train.epoch=2: train.epoch: unknown key "epoch" in train (did you mean "epochs"?)',
      );
    }
    expect.assertions(1);
  });
});

describe('--set into variants and sweeps', () => {
  it('treats the rest of the path as one dotted key', () => {
    const text = minimal('variants: { l1: {}, p: { loss.perceptual.weight: 1 } }');
    const { configs } = compile(text, ['variants.p.loss.perceptual.weight=5', 'sweep.grid.train.seed=[1, 2]']);
    expect(configs.map((c) => c.id)).toEqual(['l1-seed=1', 'l1-seed=2', 'p-seed=1', 'p-seed=2']);
    expect(configs[2].config.loss.perceptual.weight).toBe(5);
  });

  it('types a key inside a variant body by the schema at that key', () => {
    const { configs } = compile(minimal('variants: { a: {} }').replace('source: facades', 'source: null, path: x'), [
      'variants.a.dataset.path=2007',
    ]);
    expect(configs[0].config.dataset.path).toBe('2007');
  });

  it('checks the dotted key and the values it brings', () => {
    const d = diagnostics(minimal(), ['sweep.grid.train.sede=[1, 2]', 'sweep.zip.train.seed=[x]']);
    expect(d.map((x) => [x.arg, x.path, x.message])).toEqual([
      ['sweep.grid.train.sede=[1, 2]', 'sweep.grid.train.sede', 'unknown key "sede" in train (did you mean "seed"?)'],
      ['sweep.zip.train.seed=[x]', 'sweep.zip.train.seed[0]', 'expected integer, got string "x"'],
    ]);
  });
});
