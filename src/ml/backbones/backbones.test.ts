import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticStateDict } from '../../../test/fixtures/backbones/synthetic.js';
import { REPO_DIR, SHARED_WEIGHTS_DIR } from '../../../test/shared-paths.js';
import { initBackend } from '../backend.js';
import { encodeSafetensors } from '../weights/readers/safetensors.js';
import { encodeTorchZip } from '../weights/readers/torch-writer.js';
import { loadBackbone, type Backbone } from './index.js';

interface LayerRef {
  shape: number[];
  step: number;
  values: number[];
  absmax: number;
}
const ref = JSON.parse(await fs.readFile(path.join(REPO_DIR, 'test/fixtures/backbones/reference.json'), 'utf8')) as {
  input: { height: number; width: number; rgb_base64: string };
} & Record<string, Record<string, LayerRef>>;

let tmp: string;
let x: tf.Tensor4D;
beforeAll(async () => {
  // wasm: the cpu backend spends ~20 s preparing VGG16's frozen filters (reverse/transpose) that wasm does in <1 s.
  await initBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-backbones-'));
  const rgb = Buffer.from(ref.input.rgb_base64, 'base64');
  x = tf.tidy(
    () =>
      tf.sub(
        tf.div(tf.tensor4d(Float32Array.from(rgb), [1, ref.input.height, ref.input.width, 3]), 127.5),
        1,
      ) as tf.Tensor4D,
  );
});
afterAll(async () => {
  x.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Every stored sample within 1e-4 of the layer's largest magnitude. */
function expectMatches(features: Record<string, tf.Tensor4D>, want: Record<string, LayerRef>) {
  expect(Object.keys(features).sort()).toEqual(Object.keys(want).sort());
  for (const [name, r] of Object.entries(want)) {
    const t = features[name]!;
    expect(t.shape, name).toEqual(r.shape);
    const data = t.dataSync();
    let worst = 0;
    r.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(data[i * r.step]! - v))));
    expect(worst / r.absmax, `${name}: max error ${worst} vs scale ${r.absmax}`).toBeLessThan(1e-4);
  }
}

function run(b: Backbone, layers?: string[]) {
  const f = b.features(x, layers);
  return f;
}

describe('squeezenet1_1 (torchvision weights from the mirror safetensors)', () => {
  it('matches torchvision on a facades crop at all 7 LPIPS taps, including ceil-mode pools on odd sizes', async () => {
    const b = await loadBackbone({ name: 'squeezenet1_1', weightsDir: SHARED_WEIGHTS_DIR });
    expect(b.layerNames).toEqual(['conv1', 'fire3', 'fire5', 'fire6', 'fire7', 'fire8', 'fire9']);
    expect(b.source.file).toMatch(/squeezenet1_1\.safetensors$/);
    const f = run(b);
    expectMatches(f, ref.squeezenet1_1!);
    tf.dispose(f);
    b.dispose();
  });
});

describe('vgg19 (Keras weights from the partial tfjs mirror)', () => {
  it('matches a PyTorch VGG19 with the same weights, BGR 0..255 minus the Caffe mean', async () => {
    const layers = Object.keys(ref.vgg19_keras!);
    const b = await loadBackbone({ name: 'vgg19', weights: 'keras', weightsDir: SHARED_WEIGHTS_DIR, layers });
    expect(b.layerNames.at(-1)).toBe('relu3_4');
    expect(b.inputConvention).toMatch(/BGR/);
    const f = run(b);
    expectMatches(f, ref.vgg19_keras!);
    tf.dispose(f);
    b.dispose();
  });

  it('reads the same weights from Keras .h5 layouts (block/block/kernel:0 and block/block_W_1:0)', async () => {
    const { readTfjsManifest } = await import('../weights/readers/tfjs.js');
    const h5 = await import('h5wasm/node');
    await h5.ready;
    const { weights } = await readTfjsManifest(path.join(SHARED_WEIGHTS_DIR, 'vgg19-keras/model.json'), {
      only: (n) => /^block[12]_/.test(n),
    });
    const file = path.join(tmp, 'vgg19_keras_layout.h5');
    const f = new h5.File(file, 'w');
    for (const [name, t] of weights) {
      const [layer, kind] = name.split('/') as [string, string];
      if (!f.keys().includes(layer)) f.create_group(layer).create_group(layer);
      // block1: the Keras 1 era names of the original release files (block1_conv1_W_1:0); block2: Keras 2 (kernel:0).
      const dsName = layer.startsWith('block1') ? `${layer}_${kind === 'kernel' ? 'W' : 'b'}_1:0` : `${kind}:0`;
      (f.get(`${layer}/${layer}`) as InstanceType<typeof h5.Group>).create_dataset({
        name: dsName,
        data: t.data,
        shape: t.shape,
        dtype: '<f',
      });
    }
    f.close();
    const b = await loadBackbone({ name: 'vgg19', weights: 'keras', file, layers: ['relu2_2'] });
    const want = Object.fromEntries(Object.entries(ref.vgg19_keras!).filter(([k]) => /^relu[12]_/.test(k)));
    const feats = run(b, Object.keys(want));
    expectMatches(feats, want);
    tf.dispose(feats);
    b.dispose();
  });

  it('names the layers and shards the mirror lacks when a deeper layer is asked for', async () => {
    await expect(
      loadBackbone({ name: 'vgg19', weights: 'keras', weightsDir: SHARED_WEIGHTS_DIR, layers: ['relu4_1'] }),
    ).rejects.toMatchObject({
      code: 'PIPE_WEIGHTS_MISSING_TENSORS',
      message: expect.stringMatching(
        /model\.json lacks the tensors block4_conv1\/kernel, block4_conv1\/bias\..*group9-shard1of2/,
      ),
    });
  });
});

describe('vgg16 (torchvision layout, generated checkpoint)', () => {
  it('reads a torch.save-style zip of the official key layout and matches torchvision', async () => {
    const file = path.join(tmp, 'vgg16-synthetic.pth');
    await fs.writeFile(file, encodeTorchZip(syntheticStateDict('vgg16')));
    const layers = Object.keys(ref.vgg16_synthetic!);
    const b = await loadBackbone({ name: 'vgg16', file, layers });
    expect(b.layerNames).toHaveLength(13);
    const f = run(b);
    expectMatches(f, ref.vgg16_synthetic!);
    tf.dispose(f);
    b.dispose();
  });
});

describe('backbone behaviour', () => {
  it('loads and computes only up to the deepest requested layer, and refuses deeper ones', async () => {
    const b = await loadBackbone({ name: 'squeezenet1_1', weightsDir: SHARED_WEIGHTS_DIR, layers: ['fire3'] });
    expect(b.layerNames).toEqual(['conv1', 'fire3']);
    expect(() => b.features(x, ['fire5'])).toThrow(/loaded for layers up to fire3; fire5 is not available/);
    b.dispose();
  });

  it('is frozen (no variables), does not leak tensors, and passes gradients to the input', async () => {
    const before = tf.memory().numTensors;
    const b = await loadBackbone({ name: 'squeezenet1_1', weightsDir: SHARED_WEIGHTS_DIR, layers: ['fire5'] });
    expect(tf.engine().state.registeredVariables).toEqual({});
    const loss = (inp: tf.Tensor) =>
      tf.tidy(() => tf.sum(tf.square(b.features(inp as tf.Tensor4D, ['fire5']).fire5!)) as tf.Scalar);
    const g = tf.grad(loss)(x);
    // Against PyTorch's autograd of the same loss (torch.nn.MaxPool2d ceil_mode, ReLU, Fire concat).
    const r = ref.squeezenet1_1_grad_fire5 as unknown as LayerRef;
    expect(g.shape).toEqual(r.shape);
    const gd = g.dataSync();
    let worst = 0;
    r.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(gd[i * r.step]! - v))));
    expect(worst / r.absmax).toBeLessThan(1e-4);
    g.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the file and tensor when a file has the wrong shape for the model', async () => {
    const sd = new Map([...syntheticStateDict('alexnet')].map(([k, v]) => [k, v]));
    sd.set('features.3.weight', { shape: [192, 64, 3, 3], data: new Float32Array(192 * 64 * 9) });
    const file = path.join(tmp, 'bad-alexnet.safetensors');
    await fs.writeFile(file, encodeSafetensors(sd));
    await expect(loadBackbone({ name: 'alexnet', file })).rejects.toMatchObject({
      code: 'PIPE_WEIGHTS_SHAPE_MISMATCH',
      message: expect.stringMatching(
        /tensor features\.3\.weight in .*bad-alexnet\.safetensors has shape \[192, 64, 3, 3\], the model needs \[192, 64, 5, 5\]/,
      ),
    });
  });

  it('rejects unknown layers and Keras weights for non-VGG nets as user errors', async () => {
    await expect(loadBackbone({ name: 'vgg16', file: 'x.pth', layers: ['relu9_9'] })).rejects.toMatchObject({
      code: 'PIPE_BACKBONE_LAYER',
    });
    await expect(loadBackbone({ name: 'squeezenet1_1', weights: 'keras' })).rejects.toMatchObject({
      code: 'PIPE_BACKBONE_WEIGHTS',
    });
    await expect(loadBackbone({ name: 'vgg16', file: path.join(tmp, 'nope.pth') })).rejects.toMatchObject({
      code: 'PIPE_WEIGHTS_MISSING',
      message: expect.stringContaining('nope.pth does not exist'),
    });
  });
});
