import { describe, expect, it } from 'vitest';
import { PipelineError, PIPE_INVALID_PIPELINE } from './diagnostics.js';
import { compile, diagnostics, FILE, minimal, yaml } from './test-helpers.js';

const at = (line: number, col: number, path: string, message: RegExp | string) =>
  expect.objectContaining({
    file: FILE,
    line,
    col,
    path,
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });

/** 1-based column of the n-th occurrence of `token` on `line` of `text`: the oracle for positions. */
function col(text: string, line: number, token: string, nth = 0): number {
  const l = text.split('\n')[line - 1];
  let i = -1;
  for (let k = 0; k <= nth; k++) i = l.indexOf(token, i + 1);
  if (i < 0) throw new Error(`"${token}" not on line ${line}: ${l}`);
  return i + 1;
}

describe('YAML syntax', () => {
  it('reports a syntax error with line and column, and where an unclosed { opened', () => {
    const d = diagnostics(yaml('name: t', 'dataset: { source: facades', 'model: {}'));
    expect(d).toEqual([
      at(3, 1, 'dataset.source', /^YAML syntax error: .*end with a \} \(the \{ opened at line 2, column 10\)$/),
    ]);
    expect(diagnostics('name: t\n\tdataset: x\n')).toEqual([
      at(2, 1, 'name', 'YAML syntax error: tabs are not allowed as indentation'),
    ]);
  });

  it('points an unclosed quote at where the string starts', () => {
    const d = diagnostics(yaml('name: t', 'dataset:', '  source: "facades', 'model: {}'));
    expect(d).toEqual([at(3, 11, 'dataset.source', /this quoted string is never closed/)]);
  });

  it('reports a duplicate key at the second one and names the first', () => {
    const d = diagnostics(yaml('name: t', 'dataset:', '  source: facades', '  crop_size: 64', '  source: other'));
    expect(d).toEqual([
      at(5, 3, 'dataset.source', 'duplicate key "source" (first defined at line 3); remove one of them'),
    ]);
  });

  it('rejects an empty file and one with only comments', () => {
    for (const text of ['', '# nothing here\n', '\n\n']) {
      expect(diagnostics(text)).toEqual([at(1, 1, '', /the file is empty/)]);
    }
  });
});

describe('schema errors', () => {
  it('points at a misspelled key with a did-you-mean', () => {
    expect(diagnostics(minimal('train: { epochs: 1, lr: 0.1, epohcs_decay: 1 }'))).toEqual([
      at(4, 30, 'train.epohcs_decay', 'unknown key "epohcs_decay" (did you mean "epochs_decay"?)'),
    ]);
  });

  it('knows names other tools use for a key', () => {
    expect(diagnostics(minimal('train:', '  learning_rate: 0.1'))).toEqual([
      at(5, 3, 'train.learning_rate', 'unknown key "learning_rate" (did you mean "lr"?)'),
    ]);
  });

  it('says which section a key belongs in', () => {
    expect(diagnostics(minimal('evaluate: { split: val, epochs: 3 }'))).toEqual([
      at(4, 25, 'evaluate.epochs', 'unknown key "epochs"; it belongs in train'),
    ]);
  });

  it('lists the allowed keys when nothing is close', () => {
    const [d] = diagnostics(minimal('report: { zzz: 1 }'));
    expect(d).toEqual(at(4, 11, 'report.zzz', 'unknown key "zzz"; allowed keys: samples, baseline'));
  });

  it('points at a value of the wrong type', () => {
    expect(diagnostics(minimal('train: { epochs: two }'))).toEqual([
      at(4, 18, 'train.epochs', 'expected integer, got string "two"'),
    ]);
  });

  it('lists allowed values of an enum, with a did-you-mean', () => {
    const text = minimal('loss: { gan: { mode: lsgna } }');
    expect(diagnostics(text)).toEqual([
      at(
        4,
        col(text, 4, 'lsgna'),
        'loss.gan.mode',
        'string "lsgna" is not allowed (did you mean "lsgan"?); allowed values: vanilla, lsgan',
      ),
    ]);
  });

  it('reports range violations and a missing required key', () => {
    const d = diagnostics(yaml('dataset:', '  source: facades', '  crop_size: 4'));
    expect(d).toEqual([
      at(1, 1, '', 'missing required key "name"'),
      at(3, 14, 'dataset.crop_size', 'must be >= 8, got 4'),
    ]);
  });

  it('explains patterns in words', () => {
    const text = yaml(
      'name: my pipeline',
      'dataset: { source: facades }',
      'variants:',
      '  "bad name": {}',
      '  ok: { Loss.l1.weight: 0 }',
    );
    expect(diagnostics(text)).toEqual([
      at(
        1,
        7,
        'name',
        'invalid string "my pipeline": use letters, digits, ".", "_" and "-", starting with a letter or digit',
      ),
      at(
        4,
        3,
        'variants.bad name',
        'invalid key "bad name": use letters, digits, "_" and "-", starting with a letter or digit',
      ),
      at(
        5,
        9,
        'variants.ok.Loss.l1.weight',
        'invalid key "Loss.l1.weight": use a dotted key path such as loss.perceptual.weight',
      ),
    ]);
  });

  it('reports every error at once, sorted by position', () => {
    const text = minimal('train: { epochs: -1 }', 'evaluate: { split: 3, metrics: [ssim, ssim] }', 'bogus: 1');
    const d = diagnostics(text);
    expect(d.map((x) => [x.line, x.col, x.path])).toEqual([
      [4, col(text, 4, '-1'), 'train.epochs'],
      [5, col(text, 5, '3'), 'evaluate.split'],
      [5, col(text, 5, 'ssim', 1), 'evaluate.metrics[1]'],
      [6, 1, 'bogus'],
    ]);
    expect(d[2].message).toBe('string "ssim" is listed twice');
  });

  it('throws a UserError-like PipelineError whose message has one FILE:LINE:COL line per diagnostic', () => {
    try {
      compile(minimal('train: { epochs: -1, seed: x }'));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PipelineError);
      const err = e as PipelineError;
      expect(err.code).toBe(PIPE_INVALID_PIPELINE);
      expect(err.exitCode).toBe(1);
      expect(err.message.split('\n')).toEqual([
        'p.yaml:4:18: train.epochs: must be >= 0, got -1',
        'p.yaml:4:28: train.seed: expected integer, got string "x"',
      ]);
    }
  });
});

describe('variant and sweep paths', () => {
  it('points at a variant path that names no key, with a did-you-mean', () => {
    const text = minimal('variants:', '  a: { loss.perceptual.wieght: 1 }');
    expect(diagnostics(text)).toEqual([
      at(
        5,
        col(text, 5, 'loss.'),
        'variants.a.loss.perceptual.wieght',
        'unknown key "wieght" in loss.perceptual (did you mean "weight"?)',
      ),
    ]);
  });

  it('rejects a variant path outside the sections that may vary', () => {
    const text = minimal('variants:', '  a: { report.samples: 2 }', '  b: { trian.seed: 2 }');
    expect(diagnostics(text)).toEqual([
      at(5, col(text, 5, 'report'), 'variants.a.report.samples', /"report" is the same for every config/),
      at(6, col(text, 6, 'trian'), 'variants.b.trian.seed', /"trian" names no section \(did you mean "train"\?\)/),
    ]);
  });

  it('points at a variant value of the wrong type for its path', () => {
    const text = minimal('variants:', '  a: { train.seed: 1.5, dataset.flip: "no" }');
    expect(diagnostics(text)).toEqual([
      at(5, col(text, 5, '1.5'), 'variants.a.train.seed', 'expected integer, got number 1.5'),
      at(5, col(text, 5, '"no"'), 'variants.a.dataset.flip', 'expected boolean, got string "no"'),
    ]);
  });

  it('checks object values inside a variant (layer names)', () => {
    const text = minimal('variants:', '  a: { loss.perceptual.layers: { relu3_3: 1, rleu2_2: 1 } }');
    expect(diagnostics(text)).toEqual([
      at(
        5,
        col(text, 5, 'rleu2_2'),
        'variants.a.loss.perceptual.layers.rleu2_2',
        /unknown key "rleu2_2" \(did you mean "relu2_2"\?\)/,
      ),
    ]);
  });

  it('points at a sweep path that names no key and at each bad sweep value', () => {
    const text = minimal('sweep:', '  grid:', '    train.sed: [1, 2]', '    train.seed: [1, x, 1]');
    expect(diagnostics(text)).toEqual([
      at(6, 5, 'sweep.grid.train.sed', 'unknown key "sed" in train (did you mean "seed"?)'),
      at(7, col(text, 7, 'x'), 'sweep.grid.train.seed[1]', 'expected integer, got string "x"'),
      at(7, col(text, 7, '1', 1), 'sweep.grid.train.seed[2]', /repeats item 0/),
    ]);
  });

  it('requires zip lists of equal length', () => {
    const d = diagnostics(minimal('sweep:', '  zip:', '    train.seed: [1, 2, 3]', '    train.lr: [0.1, 0.2]'));
    expect(d).toEqual([at(7, 5, 'sweep.zip.train.lr', /has 2 values but sweep.zip.train.seed has 3/)]);
  });
});

describe('semantic checks', () => {
  it('requires exactly one of dataset.source and dataset.path', () => {
    expect(
      diagnostics(yaml('name: t', 'dataset: { crop_size: 64, load_size: 64 }', 'model: { generator: unet }')),
    ).toEqual([at(2, 1, 'dataset', /missing dataset source/)]);
    expect(
      diagnostics(
        yaml(
          'name: t',
          'dataset:',
          '  source: facades',
          '  path: ./mine',
          '  crop_size: 64',
          'model: { generator: unet }',
        ),
      ),
    ).toEqual([at(4, 3, 'dataset.path', /either source .* or path .*, not both/)]);
  });

  it('rejects crop_size larger than load_size', () => {
    const text = yaml(
      'name: t',
      'dataset: { source: facades, load_size: 64, crop_size: 128 }',
      'model: { generator: unet }',
    );
    expect(diagnostics(text)).toEqual([
      at(2, col(text, 2, '128'), 'dataset.crop_size', /crop_size 128 is larger than load_size 64/),
    ]);
  });

  it('checks that the generator fits the crop size', () => {
    const gen = (g: string, crop: number) =>
      diagnostics(
        yaml(
          'name: t',
          `dataset: { source: facades, load_size: 300, crop_size: ${crop} }`,
          `model: { generator: ${g} }`,
        ),
      );
    expect(gen('unet_256', 128)).toEqual([at(3, 21, 'model.generator', /unet_256 .* divisible by 256, got 128/)]);
    expect(gen('unet_128', 192)).toEqual([at(3, 21, 'model.generator', /unet_128 .* divisible by 128, got 192/)]);
    expect(gen('unet', 96)).toEqual([at(3, 21, 'model.generator', /power of two >= 32, got 96/)]);
    expect(gen('unet', 16)).toContainEqual(at(3, 21, 'model.generator', /power of two >= 32, got 16/));
    expect(gen('resnet_9blocks', 66)).toEqual([at(3, 21, 'model.generator', /divisible by 4, got 66/)]);
    expect(() =>
      compile(
        yaml(
          'name: t',
          'dataset: { source: facades, load_size: 256, crop_size: 256 }',
          'model: { generator: unet_128 }',
        ),
      ),
    ).not.toThrow();
    expect(() =>
      compile(
        yaml(
          'name: t',
          'dataset: { source: facades, load_size: 260, crop_size: 260 }',
          'model: { generator: resnet_6blocks }',
        ),
      ),
    ).not.toThrow();
  });

  it('checks that the PatchGAN has an output at this crop size', () => {
    const text = yaml(
      'name: t',
      'dataset: { source: facades, load_size: 64, crop_size: 64 }',
      'model: { generator: unet, discriminator: { n_layers: 5 } }',
    );
    expect(diagnostics(text)).toEqual([
      at(
        3,
        col(text, 3, '5'),
        'model.discriminator.n_layers',
        /PatchGAN with 5 layers has no output left for crop_size 64/,
      ),
    ]);
  });

  it('checks layer names against the chosen backbone', () => {
    const loss = (backbone: string, layers: string) =>
      minimal(`loss: { perceptual: { weight: 1, backbone: ${backbone}, layers: { ${layers} } } }`);
    const t16 = loss('vgg16', 'relu5_3: 1, relu5_4: 1');
    expect(diagnostics(t16)).toEqual([
      at(4, col(t16, 4, 'relu5_4'), 'loss.perceptual.layers.relu5_4', /vgg16 has no layer "relu5_4"/),
    ]);
    expect(() => compile(loss('vgg19', 'relu5_4: 1, relu1_1: 0.5'))).not.toThrow();
    const tsq = loss('squeezenet1_1', 'relu3_3: 1');
    expect(diagnostics(tsq)).toEqual([
      at(
        4,
        col(tsq, 4, 'relu3_3'),
        'loss.perceptual.layers.relu3_3',
        'squeezenet1_1 has no layer "relu3_3"; squeezenet1_1 layers: conv1, fire3, fire5, fire6, fire7, fire8, fire9',
      ),
    ]);
    expect(() => compile(loss('squeezenet1_1', 'conv1: 1, fire9: 1'))).not.toThrow();
    // A disabled term's layers are not built, so they are not checked.
    expect(() => compile(minimal('loss: { perceptual: { weight: 0, backbone: squeezenet1_1 } }'))).not.toThrow();
    // Style layers use the perceptual backbone.
    const tst = minimal(
      'loss: { perceptual: { backbone: squeezenet1_1 }, style: { weight: 1, layers: { fire3: 1, relu1_2: 1 } } }',
    );
    expect(diagnostics(tst)).toEqual([
      at(4, col(tst, 4, 'relu1_2'), 'loss.style.layers.relu1_2', /squeezenet1_1 has no layer "relu1_2"/),
    ]);
  });

  it('rejects a batch larger than the training images', () => {
    const text = minimal('train: { batch_size: 8 }').replace('crop_size: 64 }', 'crop_size: 64, max_images: 4 }');
    expect(diagnostics(text)).toEqual([
      at(4, col(text, 4, '8'), 'train.batch_size', /batch_size 8 is larger than the 4 training images/),
    ]);
  });

  it('rejects keras weights for squeezenet1_1', () => {
    const text = minimal(
      'loss: { perceptual: { weight: 1, backbone: squeezenet1_1, weights: keras, layers: { fire3: 1 } } }',
    );
    expect(diagnostics(text)).toEqual([
      at(
        4,
        col(text, 4, 'keras'),
        'loss.perceptual.weights',
        /no keras weights exist for squeezenet1_1; use torchvision/,
      ),
    ]);
  });

  it('rejects cache_real with random flips or random crops, and says why', () => {
    const flipText = yaml(
      'name: t',
      'dataset: { source: facades, load_size: 64, crop_size: 64, flip: true }',
      'model: { generator: unet }',
      'loss: { perceptual: { weight: 1, cache_real: true } }',
    );
    expect(diagnostics(flipText)).toEqual([
      at(
        4,
        col(flipText, 4, 'true'),
        'loss.perceptual.cache_real',
        /flip is true, so the real image is mirrored at random every epoch/,
      ),
    ]);
    const withCrop = diagnostics(
      yaml(
        'name: t',
        'dataset: { source: facades, load_size: 72, crop_size: 64, flip: false }',
        'model: { generator: unet }',
        'loss: { perceptual: { weight: 1, cache_real: true } }',
      ),
    );
    expect(withCrop[0].message).toMatch(
      /load_size 72 != crop_size 64, so the real image is cropped at a random offset/,
    );
    expect(() =>
      compile(
        yaml(
          'name: t',
          'dataset: { source: facades, load_size: 64, crop_size: 64, flip: false }',
          'model: { generator: unet }',
          'loss: { perceptual: { weight: 1, cache_real: true } }',
        ),
      ),
    ).not.toThrow();
  });

  it('rejects pix2pix on unaligned data but allows cyclegan on aligned data', () => {
    const unaligned = yaml(
      'name: t',
      'dataset: { source: s2w, layout: unaligned, load_size: 64, crop_size: 64 }',
      'model: { kind: pix2pix, generator: unet }',
    );
    expect(diagnostics(unaligned)).toEqual([
      at(3, col(unaligned, 3, 'pix2pix'), 'model.kind', /pix2pix needs paired images/),
    ]);
    expect(() =>
      compile(minimal().replace('{ generator: unet }', '{ kind: cyclegan, generator: resnet_6blocks }')),
    ).not.toThrow();
  });

  it('checks names in checks and report.baseline against variants and metrics', () => {
    const text = minimal(
      'variants: { l1: {}, perceptual: { loss.perceptual.weight: 1 } }',
      'evaluate: { metrics: [ssim, psnr] }',
      'report: { baseline: l2 }',
      'checks:',
      '  - { variant: perceptul, metric: ssim, min: 0.3 }',
      '  - { variant: perceptual, metric: lpips, max: 0.3 }',
      '  - { variant: perceptual, metric: ssim, max_drop_vs: l3, by: 0.1 }',
      '  - { variant: l1, metric: ssim }',
    );
    expect(diagnostics(text)).toEqual([
      at(6, col(text, 6, 'l2'), 'report.baseline', 'no variant or config named "l2"; variants: l1, perceptual'),
      at(
        8,
        col(text, 8, 'perceptul'),
        'checks[0].variant',
        'no variant or config named "perceptul" (did you mean "perceptual"?)',
      ),
      at(
        9,
        col(text, 9, 'lpips'),
        'checks[1].metric',
        /"lpips" is not in evaluate.metrics of perceptual \(ssim, psnr\)/,
      ),
      at(10, col(text, 10, 'l3'), 'checks[2].max_drop_vs', /no variant or config named "l3"/),
      at(11, 5, 'checks[3]', 'a check needs min, max or max_drop_vs'),
    ]);
  });

  it('points at the variant that causes a problem, not at the base', () => {
    const text = minimal(
      'variants:',
      '  ok: {}',
      '  big: { dataset.crop_size: 96 }',
      '  sq: { loss.perceptual.backbone: squeezenet1_1, loss.perceptual.weight: 1 }',
    );
    expect(diagnostics(text)).toEqual([
      at(6, col(text, 6, '96'), 'variants.big.dataset.crop_size', /crop_size 96 is larger than load_size 64/),
      at(6, col(text, 6, '96'), 'variants.big.dataset.crop_size', /power of two >= 32, got 96/),
      at(
        7,
        col(text, 7, 'squeezenet1_1'),
        'variants.sq.loss.perceptual.backbone',
        /squeezenet1_1 has no layer "relu3_3"/,
      ),
    ]);
  });
});

describe('document shape', () => {
  it('rejects a document that is not a map, and a null section with a hint', () => {
    expect(diagnostics('- a\n- b\n')).toEqual([at(1, 1, '', 'expected object, got a list')]);
    const text = minimal('variants:', '  l1:', '  p: { train.seed: 2 }');
    expect(diagnostics(text)).toEqual([
      at(5, 3, 'variants.l1', 'expected object, got null (write {} for an empty map)'),
    ]);
  });
});

describe('kind-dependent defaults', () => {
  it('turns generator dropout on for pix2pix and off for CycleGAN unless the pipeline says otherwise', () => {
    const text = [
      'name: dd',
      'dataset: { source: facades, load_size: 64, crop_size: 64 }',
      'model: { generator: unet }',
      'variants:',
      '  p: {}',
      '  c: { model.kind: cyclegan, dataset.layout: unaligned }',
      '  c_drop: { model.kind: cyclegan, dataset.layout: unaligned, model.dropout: true }',
    ].join('\n');
    const { configs } = compile(text);
    expect(Object.fromEntries(configs.map((c) => [c.id, c.config.model.dropout]))).toEqual({
      p: true,
      c: false,
      c_drop: true,
    });
  });
});
