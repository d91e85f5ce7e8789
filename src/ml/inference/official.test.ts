// pipe's generators against the official pytorch-CycleGAN-and-pix2pix layout, through files made by
// test/fixtures/models/make_fixtures.py from a PyTorch twin of networks.py: key names and shapes for every
// generator/norm/dropout combination, and outputs of real PyTorch forward passes (both test.py modes).
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatorFor } from '../models/index.js';
import { encodeTorchZip } from '../weights/readers/torch-writer.js';
import { readTorch } from '../weights/readers/torch.js';
import type { NamedArray, WeightMap } from '../weights/types.js';
import { archFromStateDict, paramsFromStateDict, stateDictFromParams } from './official-checkpoint.js';
import { openCheckpoint } from './model-source.js';
import type { GeneratorArch } from './official-names.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/models');
const table = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'official-keys.json'), 'utf8')) as Record<
  string,
  [string, number[]][]
>;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function zeros(arch: GeneratorArch, crop: number): Record<string, NamedArray> {
  return Object.fromEntries(
    generatorFor(arch, crop).specs.map((s) => [
      s.name,
      { shape: s.shape, data: new Float32Array(s.shape.reduce((a, b) => a * b, 1)) },
    ]),
  );
}

describe('official state_dict names and shapes (twin of networks.py)', () => {
  it.each(Object.keys(table))('%s', (key) => {
    const [gen, norm, drop] = key.split('/') as [string, GeneratorArch['norm'], string];
    const generator = (gen.startsWith('unet6') ? 'unet' : gen) as GeneratorArch['generator'];
    const arch: GeneratorArch = { generator, ngf: 2, norm, dropout: drop === 'dropout' };
    const crop = generator === 'unet' ? 64 : 256;
    const sd = stateDictFromParams(zeros(arch, crop), arch, crop);
    expect([...sd].map(([k, v]) => [k, v.shape])).toEqual(table[key]);
    // And back: the file layout is recognised and accepted.
    const found = archFromStateDict(sd, key);
    expect([found.generator, found.ngf, found.norm]).toEqual([generator, 2, norm]);
    expect(paramsFromStateDict(sd, arch, crop, key).params.size).toBe(generatorFor(arch, crop).specs.length);
  });
});

async function io(name: string): Promise<WeightMap> {
  return readTorch(path.join(FIXTURES, `${name}_io.pth`));
}

const nhwc = (a: NamedArray) =>
  tf.tidy(() => tf.transpose(tf.tensor4d(a.data, a.shape as [number, number, number, number]), [0, 2, 3, 1]));

describe('outputs equal PyTorch on official-layout files', () => {
  it.each([
    ['unet128_batch_legacy', 'unet128_batch', 'batch'],
    ['unet128_batch_legacy', 'unet128_batch', 'running'],
    ['resnet6_instance_zip', 'resnet6_instance', 'batch'],
  ] as const)('%s (%s), eval-mode %s', async (file, ioName, mode) => {
    const model = await openCheckpoint(path.join(FIXTURES, `${file}.pth`), {
      evalMode: mode,
      size: 128,
      dropout: false,
    });
    const data = await io(ioName);
    const x = nhwc(data.get('input')!);
    const y = model.predict('AtoB', x);
    const expected = nhwc(data.get(mode === 'batch' ? 'output_batch' : 'output_running')!);
    const diff = tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-4);
    // Not trivially equal: the output moves with the input.
    expect(tf.moments(expected).variance.dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([x, y, expected]);
    model.dispose();
  });
});

describe('clear messages on files that do not fit', () => {
  const arch: GeneratorArch = { generator: 'resnet_6blocks', ngf: 4, norm: 'instance', dropout: false };
  it('names a missing tensor, a misshapen one and an unexpected one', async () => {
    const sd = await readTorch(path.join(FIXTURES, 'resnet6_instance_zip.pth'));
    const missing = new Map(sd);
    missing.delete('model.4.weight');
    expect(() => paramsFromStateDict(missing, arch, 32, 'f.pth')).toThrow(
      /f\.pth does not fit the generator: it lacks 1 tensor\(s\): model\.4\.weight/,
    );
    expect(() => paramsFromStateDict(sd, { ...arch, ngf: 8 }, 32, 'f.pth')).toThrow(
      /model\.1\.weight has shape \[4, 3, 7, 7\], the generator needs \[8, 3, 7, 7\]/,
    );
    const extra = new Map(sd).set('model.99.weight', { shape: [1], data: new Float32Array(1) });
    expect(() => paramsFromStateDict(extra, arch, 32, 'f.pth')).toThrow(
      /tensor\(s\) the generator does not: model\.99\.weight/,
    );
  });
  it('a round trip through a written zip keeps every tensor', async () => {
    const sd = await readTorch(path.join(FIXTURES, 'resnet6_instance_zip.pth'));
    const { parseTorch } = await import('../weights/readers/torch.js');
    const again = parseTorch(encodeTorchZip(sd), 'x.pth');
    expect([...again.keys()]).toEqual([...sd.keys()]);
    expect(again.get('model.23.weight')!.data).toEqual(sd.get('model.23.weight')!.data);
  });
});
