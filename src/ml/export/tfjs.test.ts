// pipe export --format tfjs loaded by TF.js's own graph-model loader (tfjs-converter), without pipe's
// layers: the same outputs as pipe's generator on a real facades image (unet with batch norm, resnet_6blocks
// with instance norm). The browser page is tested in test/browser/tfjs-demo.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA_DIR } from '../../../test/shared-paths.js';
import { writeModelDir, type ModelDirSpec } from '../../../test/fixtures/models/model-dir.js';
import { toTensor } from '../data/sampler.js';
import { openTrainDir } from '../inference/model-source.js';
import { loadInput } from '../inference/predict.js';
import { exportModel } from './index.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-tfjs-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe.each([
  ['unet batch', { generator: 'unet', ngf: 4, norm: 'batch', dropout: false, cropSize: 64 }],
  [
    'resnet_6blocks instance',
    { generator: 'resnet_6blocks', ngf: 4, norm: 'instance', dropout: false, cropSize: 64, gain: 0.05 },
  ],
] as [string, ModelDirSpec][])('TF.js export: %s', (name, spec) => {
  it("tf.loadGraphModel runs it to pipe's output within 1e-4", async () => {
    const dir = await writeModelDir(path.join(tmp, name.replace(' ', '_')), spec);
    const model = await openTrainDir(dir, { evalMode: 'batch' });
    await exportModel(model, 'tfjs', path.join(dir, 'tfjs'));
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'tfjs/model.json'), 'utf8'));
    const bin = fs.readFileSync(path.join(dir, 'tfjs/weights.bin'));
    const graph = await loadGraphModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      }),
    );
    const rgb = await loadInput(path.join(SHARED_DATA_DIR, 'facades/val/3.jpg'), {
      layout: 'aligned',
      direction: 'AtoB',
      model,
    });
    const x = tf.tensor4d(toTensor({ count: 1, names: [], size: 64, get: () => rgb.data }, 0), [1, 64, 64, 3]);
    const ours = model.predict('AtoB', x);
    const theirs = graph.execute(x) as tf.Tensor;
    const diff = tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]!;
    console.log(`${name}: max |tfjs graph - pipe| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-4);
    expect(tf.moments(ours).variance.dataSync()[0]).toBeGreaterThan(1e-3);
    tf.dispose([x, ours, theirs]);
    graph.dispose();
    model.dispose();
  }, 60_000);
});
