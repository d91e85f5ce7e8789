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
import { createLpips, minInputSize, type Lpips, type LpipsNet } from './lpips.js';

interface Pair {
  name: string;
  height: number;
  width: number;
  a_base64: string[];
  b_base64: string[];
  distance: Record<LpipsNet, number[]>;
}
const ref = JSON.parse(await fs.readFile(path.join(REPO_DIR, 'test/fixtures/lpips/reference.json'), 'utf8')) as {
  pairs: Pair[];
};

function batch(images: string[], h: number, w: number): tf.Tensor4D {
  const bytes = Buffer.concat(images.map((s) => Buffer.from(s, 'base64')));
  const f = new Float32Array(bytes.length);
  for (let i = 0; i < f.length; i++) f[i] = bytes[i]! / 127.5 - 1;
  return tf.tensor4d(f, [images.length, h, w, 3]);
}

let tmp: string;
beforeAll(async () => {
  // wasm: the cpu backend spends ~20 s preparing VGG16's frozen filters.
  await initBackend('wasm');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-lpips-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

async function expectReference(lpips: Lpips, net: LpipsNet) {
  for (const p of ref.pairs) {
    const a = batch(p.a_base64, p.height, p.width);
    const b = batch(p.b_base64, p.height, p.width);
    const d = await lpips.distance(a, b);
    tf.dispose([a, b]);
    expect(d.length, p.name).toBe(p.distance[net].length);
    d.forEach((v, i) =>
      expect(Math.abs(v - p.distance[net][i]!), `${net} ${p.name}[${i}]: ${v} vs ${p.distance[net][i]}`).toBeLessThan(
        1e-3,
      ),
    );
  }
}

describe('LPIPS v0.1', () => {
  it('squeeze (default, real ImageNet backbone + published heads) agrees with the reference within 1e-3', async () => {
    const before = tf.memory().numTensors;
    const lpips = await createLpips({ weightsDir: SHARED_WEIGHTS_DIR });
    expect(lpips.net).toBe('squeeze');
    expect(lpips.sources.heads).toMatch(/lpips\/v0\.1\/squeeze\.pth$/);
    await expectReference(lpips, 'squeeze');
    const id = ref.pairs.find((p) => p.name.startsWith('identical'))!;
    const x = batch(id.a_base64, id.height, id.width);
    expect(await lpips.distance(x, x)).toEqual([0]);
    x.dispose();
    lpips.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const net of ['vgg', 'alex'] as const) {
    it(`${net} (published heads; backbone with the fixture's synthetic weights) agrees with the reference`, async () => {
      const backboneFile = path.join(tmp, `${net}.safetensors`);
      await fs.writeFile(backboneFile, encodeSafetensors(syntheticStateDict(net === 'vgg' ? 'vgg16' : 'alexnet')));
      const lpips = await createLpips({ net, weightsDir: SHARED_WEIGHTS_DIR, backboneFile });
      expect(lpips.sources.heads).toMatch(new RegExp(`lpips/v0\\.1/${net}\\.pth$`));
      await expectReference(lpips, net);
      lpips.dispose();
    });
  }

  it('is differentiable (usable as a loss) and rejects mismatched or too small inputs', async () => {
    const lpips = await createLpips({ weightsDir: SHARED_WEIGHTS_DIR });
    const p = ref.pairs[0]!;
    const a = batch(p.a_base64, p.height, p.width);
    const b = batch(p.b_base64, p.height, p.width);
    const g = tf.grad((x: tf.Tensor) => tf.sum(lpips.distanceTensor(x as tf.Tensor4D, b)))(a);
    expect(Array.from(g.dataSync()).some((v) => v !== 0)).toBe(true);
    expect(() => lpips.distance(a, tf.slice(b, [0, 0, 0, 0], [1, 40, 48, 3]))).toThrow(/same shape/);
    const m = minInputSize('squeeze');
    const tiny = tf.zeros([1, m - 1, m - 1, 3]) as tf.Tensor4D;
    expect(() => lpips.distance(tiny, tiny)).toThrow(new RegExp(`at least ${m}x${m}`));
    tf.dispose([a, b, g, tiny]);
    lpips.dispose();
  });

  it('alex: says where it looked and how to provide the backbone when it is missing offline', async () => {
    const saved = process.env.PIPE_OFFLINE;
    process.env.PIPE_OFFLINE = '1';
    try {
      await expect(
        createLpips({ net: 'alex', weightsDir: SHARED_WEIGHTS_DIR, downloadDir: path.join(tmp, 'cache') }),
      ).rejects.toMatchObject({
        code: 'PIPE_WEIGHTS_MISSING',
        message: expect.stringMatching(
          /AlexNet.*Looked in the mirror folder .*weights.*alexnet-owt-7be5be79\.pth.*offline mode.*download https:\/\/download\.pytorch\.org\/models\/alexnet-owt-7be5be79\.pth/s,
        ),
      });
    } finally {
      if (saved === undefined) delete process.env.PIPE_OFFLINE;
      else process.env.PIPE_OFFLINE = saved;
    }
  });
});
