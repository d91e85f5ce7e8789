// backend_options.webgpu reaches a training stage: the settings it names are in force for that stage and recorded
// in its backend record (stage.json), and the next stage of the same process, without them, is back on the
// defaults. Runs in the webgpu projects (vitest.config.ts).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTrainSummary } from '../core/formats/train-summary.js';
import { initBackend } from '../ml/backend.js';
import { trainParams } from '../ml/train/test-params.js';
import { expectSkipAllowed, testAdapter, webgpuSkipReason } from '../ml/webgpu/test-support.js';
import { preparedFacades, stageContext } from './test-stages.js';
import { trainStage } from './train.js';
import type { StageEnv } from './types.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `train stage on webgpu (skipped: ${skipped})` : 'train stage on webgpu';

let tmp: string;
let dataset: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-trainwebgpu-'));
  dataset = await preparedFacades(tmp);
});
afterAll(async () => {
  await initBackend('cpu');
  await fs.rm(tmp, { recursive: true, force: true });
});

async function train(name: string, webgpu?: StageEnv['webgpu']) {
  const params = trainParams({
    dataset: { load_size: 36, crop_size: 32 },
    model: { ngf: 4, ndf: 4 },
    train: { epochs: 1, epochs_decay: 0, steps_per_epoch: 2 },
  });
  const env: Partial<StageEnv> = { backend: 'webgpu', ...(webgpu ? { webgpu } : {}) };
  const ctx = await stageContext(tmp, name, params, { inputs: { dataset }, env });
  const result = await trainStage.run(ctx);
  const summary = await readTrainSummary(path.join(ctx.outDir, 'train.json'));
  return { details: (result?.backend?.details ?? {}) as Record<string, unknown>, summary };
}

describe.skipIf(skipped !== null)(title, () => {
  it("takes the pipeline's backend_options.webgpu, and the next stage without them the defaults", async () => {
    // Autotuning times four kernels for each convolution product: 40 s of this test on SwiftShader, where
    // conv-autotune.test.ts already covers it. There the stage names the other settings only.
    const autotune = testAdapter() !== 'swiftshader';
    const tuned = await train('tuned', { conv_autotune: autotune, submit_batch: 64, backbone_conv: 'pipe' });
    const convAutotune = autotune ? 'on' : 'off';
    expect(tuned.details).toMatchObject({ convAutotune, submitBatch: 64, backboneConv: 'pipe', kernels: 'pipe' });
    if (autotune) expect(tuned.summary.convAutotune?.products).toBeGreaterThan(0);

    const plain = await train('plain');
    expect(plain.details).toMatchObject({ convAutotune: 'off', submitBatch: 15, backboneConv: 'stock' });
    expect(plain.summary.convAutotune).toBeUndefined();
    expect(plain.summary.finalLosses.G_L1).toBeGreaterThan(0);
  });
});

describe.skipIf(skipped === null)(title, () => {
  it('is skipped only where webgpu cannot run (never in CI)', () => expectSkipAllowed(skipped));
});
