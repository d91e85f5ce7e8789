// resnet50 and mobilenet_v2 (BatchNorm backbones, eval mode) against torchvision on generated weights of the official
// state-dict layout; fixture and script: test/fixtures/backbones/{reference-bn.json,make_bn_reference.py}.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKBONE_LAYERS } from '../../core/backbones.js';
import { syntheticNamedStateDict } from '../../../test/fixtures/backbones/synthetic.js';
import { REPO_DIR } from '../../../test/shared-paths.js';
import { initBackend } from '../backend.js';
import { encodeTorchZip } from '../weights/readers/torch-writer.js';
import { WEIGHT_SETS } from '../weights/registry.js';
import { layerNamesOf } from './architectures.js';
import { loadBackbone } from './index.js';
import { torchStateDictShapes } from './net.js';

interface LayerRef {
  shape: number[];
  step: number;
  values: number[];
  absmax: number;
}
const fixtures = path.join(REPO_DIR, 'test/fixtures/backbones');
const input = JSON.parse(await fs.readFile(path.join(fixtures, 'reference.json'), 'utf8')).input as {
  height: number;
  width: number;
  rgb_base64: string;
};
const ref = JSON.parse(await fs.readFile(path.join(fixtures, 'reference-bn.json'), 'utf8')) as Record<
  string,
  Record<string, LayerRef> & Record<string, number[]>
>;

const NETS = ['resnet50', 'mobilenet_v2', 'convnext_tiny'] as const;
const GRAD_TAP = { resnet50: 'layer2', mobilenet_v2: 'features.7', convnext_tiny: 'features.3' } as const;
let tmp: string;
let x: tf.Tensor4D;
const files: Partial<Record<(typeof NETS)[number], string>> = {};
beforeAll(async () => {
  await initBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-backbones-bn-'));
  const rgb = Buffer.from(input.rgb_base64, 'base64');
  x = tf.tidy(
    () =>
      tf.sub(tf.div(tf.tensor4d(Float32Array.from(rgb), [1, input.height, input.width, 3]), 127.5), 1) as tf.Tensor4D,
  );
  for (const net of NETS) {
    files[net] = path.join(tmp, `${net}-synthetic.pth`);
    await fs.writeFile(files[net]!, encodeTorchZip(syntheticNamedStateDict(torchStateDictShapes(net))));
  }
});
afterAll(async () => {
  x.dispose();
  await fs.rm(tmp, { recursive: true, force: true });
});

function worstError(data: Float32Array | Int32Array | Uint8Array, r: LayerRef): number {
  let worst = 0;
  r.values.forEach((v, i) => (worst = Math.max(worst, Math.abs(data[i * r.step]! - v))));
  return worst / r.absmax;
}

describe.each(NETS)('%s (torchvision layout, generated weights, eval mode)', (net) => {
  it('reads exactly the official state-dict keys and shapes (classifier aside)', () => {
    const want = ref[`${net}_layout`] as unknown as Record<string, number[]>;
    expect(Object.fromEntries(torchStateDictShapes(net))).toEqual(want);
  });

  it('matches torchvision at every tap', async () => {
    const b = await loadBackbone({ name: net, file: files[net] });
    const f = b.features(x);
    const want = ref[net]!;
    expect(Object.keys(f).sort()).toEqual(Object.keys(want).sort());
    for (const [name, r] of Object.entries(want)) {
      expect(f[name]!.shape, name).toEqual(r.shape);
      expect(worstError(f[name]!.dataSync(), r), name).toBeLessThan(1e-4);
    }
    tf.dispose(f);
    b.dispose();
  });

  it('passes the input gradient as PyTorch autograd does', async () => {
    const tap = GRAD_TAP[net];
    const before = tf.memory().numTensors;
    const b = await loadBackbone({ name: net, file: files[net], layers: [tap] });
    expect(b.layerNames.at(-1)).toBe(tap);
    const g = tf.grad((inp: tf.Tensor) =>
      tf.tidy(() => tf.sum(tf.square(b.features(inp as tf.Tensor4D)[tap]!)) as tf.Scalar),
    )(x);
    const r = ref[`${net}_grad_${tap}`] as unknown as LayerRef;
    expect(g.shape).toEqual(r.shape);
    expect(worstError(g.dataSync(), r)).toBeLessThan(1e-4);
    g.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('backbone tables', () => {
  it("the schema's layer names are exactly the backbones' layers, and its backbone list is theirs", async () => {
    const schema = JSON.parse(await fs.readFile(path.join(REPO_DIR, 'schemas/pipeline.schema.json'), 'utf8'));
    const names = schema.$defs.layerWeights.propertyNames.enum as string[];
    expect(new Set(names)).toEqual(new Set(Object.values(BACKBONE_LAYERS).flat()));
    expect(schema.$defs.loss.properties.perceptual.properties.backbone.enum).toEqual(Object.keys(BACKBONE_LAYERS));
    for (const net of NETS) expect(layerNamesOf(net)).toEqual(BACKBONE_LAYERS[net]);
  });

  it('resnet50 and mobilenet_v2 have registry entries with the torchvision file names and full sha256', () => {
    expect(WEIGHT_SETS['resnet50-torchvision'].official.url).toBe(
      'https://download.pytorch.org/models/resnet50-0676ba61.pth',
    );
    expect(WEIGHT_SETS['mobilenet_v2-torchvision'].official.url).toBe(
      'https://download.pytorch.org/models/mobilenet_v2-b0353104.pth',
    );
    for (const id of ['resnet50-torchvision', 'mobilenet_v2-torchvision', 'inception-fid'] as const) {
      const o = WEIGHT_SETS[id].official;
      // torch.hub's convention: the 8 hex digits after the last '-' are the sha256 prefix.
      expect(o.sha256!.slice(0, 8)).toBe(/-([0-9a-f]{8})\.pth$/.exec(o.fileName)![1]);
    }
  });
});
