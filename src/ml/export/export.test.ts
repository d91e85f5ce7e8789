// pipe export --format pytorch|safetensors on real pipe model folders (unet_256 batch norm, resnet_9blocks
// instance norm, ngf 2) fed a real facades image: without Python, the files have exactly the official keys
// and shapes (the twin's table) and load back to the same outputs; with Debian's PyTorch, the twin loads
// them with strict=True and its output equals pipe's within 1e-4.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA_DIR } from '../../../test/shared-paths.js';
import { writeModelDir, type ModelDirSpec } from '../../../test/fixtures/models/model-dir.js';
import { openCheckpoint, openTrainDir, type InferenceModel } from '../inference/model-source.js';
import { loadInput } from '../inference/predict.js';
import { toTensor } from '../data/sampler.js';
import { readSafetensors } from '../weights/readers/safetensors.js';
import { encodeTorchZip } from '../weights/readers/torch-writer.js';
import { readTorch } from '../weights/readers/torch.js';
import { exportModel } from './index.js';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test/fixtures/models');
const table = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'official-keys.json'), 'utf8')) as Record<
  string,
  [string, number[]][]
>;
const PYTHON = '/usr/bin/python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-export-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const CASES: [string, ModelDirSpec][] = [
  ['unet_256/batch/plain', { generator: 'unet_256', ngf: 2, norm: 'batch', dropout: false, cropSize: 256 }],
  [
    'resnet_9blocks/instance/plain',
    { generator: 'resnet_9blocks', ngf: 2, norm: 'instance', dropout: false, cropSize: 256 },
  ],
];

/** A real facades label map (val/1.jpg, the B half as the model's A after direction BtoA), NHWC [-1,1]. */
async function facadesInput(model: InferenceModel): Promise<tf.Tensor4D> {
  const img = await loadInput(path.join(SHARED_DATA_DIR, 'facades/val/1.jpg'), {
    layout: 'aligned',
    direction: 'AtoB',
    model,
  });
  return tf.tensor4d(toTensor({ count: 1, names: [], size: model.size, get: () => img.data }, 0), [
    1,
    model.size,
    model.size,
    3,
  ]);
}

describe.each(CASES)('pipe export of a pipe model: %s', (key, spec) => {
  it('pytorch and safetensors hold the official keys and shapes and load back to the same outputs', async () => {
    const dir = await writeModelDir(path.join(tmp, key.replaceAll('/', '_')), spec);
    const model = await openTrainDir(dir, { evalMode: 'batch' });
    const out = path.join(dir, 'export');
    await exportModel(model, 'pytorch', out);
    await exportModel(model, 'safetensors', path.join(dir, 'export-st'));
    const pth = await readTorch(path.join(out, 'latest_net_G.pth'));
    expect([...pth].map(([k, v]) => [k, v.shape])).toEqual(table[key]);
    const st = await readSafetensors(path.join(dir, 'export-st', 'latest_net_G.safetensors'));
    expect([...st.keys()]).toEqual([...pth.keys()]);
    for (const [k, v] of pth) expect(st.get(k)!.data, k).toEqual(v.data);
    const back = await openCheckpoint(path.join(out, 'latest_net_G.pth'), {
      evalMode: 'batch',
      size: spec.cropSize,
      dropout: false,
    });
    const x = await facadesInput(model);
    const [a, b] = [model.predict('AtoB', x), back.predict('AtoB', x)];
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    tf.dispose([x, a, b]);
    model.dispose();
    back.dispose();
  }, 60_000);

  it.skipIf(!hasTorch)(
    `PyTorch twin loads the .pth strictly; outputs within 1e-4${hasTorch ? '' : ' (skipped: /usr/bin/python3 has no torch)'}`,
    async () => {
      const dir = path.join(tmp, `${key.replaceAll('/', '_')}-py`);
      await writeModelDir(dir, spec);
      const model = await openTrainDir(dir, { evalMode: 'batch' });
      await exportModel(model, 'pytorch', path.join(dir, 'export'));
      const x = await facadesInput(model);
      const nchw = tf.transpose(x, [0, 3, 1, 2]);
      const input = path.join(dir, 'input.pth');
      fs.writeFileSync(
        input,
        encodeTorchZip(new Map([['input', { shape: nchw.shape, data: nchw.dataSync() as Float32Array }]])),
      );
      const r = spawnSync(
        PYTHON,
        [path.join(FIXTURES, 'check_export.py'), path.join(dir, 'export'), input, path.join(dir, 'output.pth')],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).dtype_nbt).toBe(spec.norm === 'batch' ? 'torch.int64' : 'None');
      const theirs = (await readTorch(path.join(dir, 'output.pth'))).get('output')!;
      const ours = tf.transpose(model.predict('AtoB', x), [0, 3, 1, 2]);
      const diff = tf.max(tf.abs(tf.sub(ours, tf.tensor(theirs.data, theirs.shape)))).dataSync()[0]!;
      console.log(`${key}: max |PyTorch - pipe| = ${diff.toExponential(2)}`);
      expect(diff).toBeLessThan(1e-4);
      expect(tf.moments(ours).variance.dataSync()[0]).toBeGreaterThan(1e-3);
      tf.dispose([x, nchw, ours]);
      model.dispose();
    },
    60_000,
  );
});

describe('a CycleGAN model: two generators', () => {
  it('predicts with the one --direction names and exports both under the official names', async () => {
    const spec: ModelDirSpec = { generator: 'resnet_6blocks', ngf: 2, norm: 'instance', dropout: false, cropSize: 32 };
    const dir = await writeModelDir(path.join(tmp, 'cyclegan'), { ...spec, kind: 'cyclegan' });
    const model = await openTrainDir(dir, { evalMode: 'batch' });
    expect(model.directions).toEqual(['AtoB', 'BtoA']);
    const x = tf.randomUniform([1, 32, 32, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
    const [a, b] = [model.predict('AtoB', x), model.predict('BtoA', x)];
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(1e-3);
    const m = await exportModel(model, 'pytorch', path.join(dir, 'pth'));
    expect(m.files).toEqual({ AtoB: 'latest_net_G_A.pth', BtoA: 'latest_net_G_B.pth' });
    const back = await openCheckpoint(path.join(dir, 'pth', 'latest_net_G_B.pth'), { evalMode: 'batch', size: 32 });
    const again = back.predict('AtoB', x);
    expect(tf.max(tf.abs(tf.sub(b, again))).dataSync()[0]).toBe(0);
    expect((await exportModel(model, 'onnx', path.join(dir, 'onnx'))).files).toEqual({
      AtoB: 'G_A.onnx',
      BtoA: 'G_B.onnx',
    });
    tf.dispose([x, a, b, again]);
    model.dispose();
    back.dispose();
  });
});
