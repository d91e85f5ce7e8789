import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA_DIR } from '../../test/shared-paths.js';
import { initBackend } from './backend.js';
import { conv2d } from './ops/conv2d.js';
import { randomArr, relError, valueAndGrads } from './ops/testing.js';
import { registerGradients } from './train/gradients.js';
import { trainModel } from './train/run.js';
import { trainParams } from './train/test-params.js';
import { alignedSplit } from './train/test-split.js';
import { installedWasmVersion, THREADED_WASM_VERIFIED } from './wasm-threads.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-wasm-threads-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('threaded wasm', () => {
  it('is verified for the installed tfjs-backend-wasm (re-check wasm-threads.ts when this fails)', () => {
    // The loader relies on the package's wasm-out file names, its worker script and its thread cap.
    expect(THREADED_WASM_VERIFIED).toContain(installedWasmVersion());
  });

  it('has the 4 GB heap maximum that PIPE_TRAIN_OUT_OF_MEMORY names', async () => {
    // The threaded build declares its shared Memory in the glue (the stock build's is inside its .wasm).
    const glue = await fs.readFile(
      createRequire(import.meta.url).resolve(
        `@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js`,
      ),
      'utf8',
    );
    expect(glue).toContain('"maximum":4294967296/65536,"shared":true');
  });

  it('runs XNNPACK on the requested threads and records them, then goes back to the stock build', async () => {
    const two = await initBackend('wasm', { threads: 2 });
    expect(two).toMatchObject({
      name: 'wasm',
      threads: 2,
      simd: true,
      details: { build: 'threaded-simd', threadsRequested: 2 },
    });
    // The threaded build's heap is shared memory (its maximum, 4 GB, is the stock build's: see the glue's Memory).
    const heap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer;
    expect(heap).toBeInstanceOf(SharedArrayBuffer);
    const one = await initBackend('wasm', { threads: 1 });
    expect(one).toMatchObject({ threads: 1, details: { build: 'simd', threadsRequested: 1 } });
    expect((tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer).toBeInstanceOf(
      ArrayBuffer,
    );
  });

  it("gives pipe's conv2d the same value and gradients on 1 and 2 threads", async () => {
    const inputs = [randomArr([1, 32, 32, 16], 1), randomArr([4, 4, 16, 32], 2)];
    const f = (x: tf.Tensor, w: tf.Tensor) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1);
    const dy = (shape: number[]) => randomArr(shape, 3);
    await initBackend('wasm', { threads: 1 });
    const a = await valueAndGrads('wasm', f, inputs, dy);
    await initBackend('wasm', { threads: 2 });
    const b = await valueAndGrads('wasm', f, inputs, dy);
    expect(relError(b.value, a.value)).toBeLessThan(2e-5);
    for (const i of [0, 1]) expect(relError(b.grads[i], a.grads[i])).toBeLessThan(2e-5);
  });

  it('trains pix2pix to the same losses and weights on 1 and 2 threads (4 steps, 64x64)', async () => {
    await registerGradients();
    const split = await alignedSplit(path.join(SHARED_DATA_DIR, 'facades/train'), 4, 64);
    const params = trainParams({ model: { ngf: 8, ndf: 8 }, train: { steps_per_epoch: 4, checkpoint_every: 10 } });
    const runs: { losses: number[]; weights: Float32Array }[] = [];
    for (const threads of [1, 2]) {
      await initBackend('wasm', { threads });
      const outDir = path.join(tmp, `t${threads}`, 'out');
      await fs.mkdir(outDir, { recursive: true });
      const r = await trainModel({ params, split, workDir: path.join(tmp, `t${threads}`, 'work'), outDir });
      const bytes = await fs.readFile(path.join(outDir, 'weights.bin'));
      runs.push({
        losses: r.lossHistory.flatMap((x) => Object.values(x).filter((v): v is number => typeof v === 'number')),
        weights: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4),
      });
    }
    const [one, two] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(two.losses).toHaveLength(one.losses.length);
    // XNNPACK splits work by output tiles, not along reductions, so 2 threads give bit-equal results; the bound is
    // the ops tests' tolerance in case a future build splits reductions.
    expect(relError(Float32Array.from(two.losses), Float32Array.from(one.losses))).toBeLessThan(2e-5);
    expect(relError(two.weights, one.weights)).toBeLessThan(2e-5);
  });
});
