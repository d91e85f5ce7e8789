// PIPE_WEBGPU_CONV_AUTOTUNE: the setting; tfjs's kernels and pipe's 64x64 tiles as the other candidates for every
// product (values and gradients as cpu's, and finite differences, so any choice is right); and on adapters with
// timestamp queries, products met in a training step timed and decided, the fastest kept.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { PipeError } from '../../core/errors.js';
import { initBackend } from '../backend.js';
import { conv2d, conv2dTranspose, frozenConv2d } from '../ops/index.js';
import { randomArr } from '../ops/testing.js';
import { convGeometry } from '../ops/geometry.js';
import { trainModel } from '../train/run.js';
import {
  CONV_KERNELS,
  chooseConvKernel,
  convAutotuneOn,
  convChoicesToSave,
  convKey,
  convTunings,
  convTuningSummary,
  describeTunings,
  pendingConvKeys,
  resetConvTuning,
  tunePendingConvs,
  type ConvKernel,
} from './conv-autotune.js';
import { filterGradWebgpu, forwardConvWebgpu, inputGradWebgpu, tileFits, type TileSize } from './conv.js';
import { webgpuBackend } from './kernel.js';
import {
  compare,
  data,
  driverIndependentSkipped,
  expectAgree,
  expectSameWeights,
  expectSkipAllowed,
  resumableRun,
  tensor,
  testAdapter,
  tinyPix2pix,
  webgpuSkipReason,
} from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `conv autotune (skipped: ${skipped})` : 'conv autotune';

afterEach(() => {
  delete process.env.PIPE_WEBGPU_CONV_AUTOTUNE;
  resetConvTuning();
});

describe('PIPE_WEBGPU_CONV_AUTOTUNE', () => {
  it('is on for 1 only, and refuses anything but 0 and 1 with a usage error', () => {
    expect(convAutotuneOn({})).toBe(false);
    expect(convAutotuneOn({ PIPE_WEBGPU_CONV_AUTOTUNE: '0' })).toBe(false);
    expect(convAutotuneOn({ PIPE_WEBGPU_CONV_AUTOTUNE: '1' })).toBe(true);
    const bad = () => convAutotuneOn({ PIPE_WEBGPU_CONV_AUTOTUNE: 'yes' });
    expect(bad).toThrow(PipeError);
    expect(bad).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining('got "yes"') }));
  });

  it('keys a product by everything that can change which kernel is faster', () => {
    const g = convGeometry([2, 9, 7, 3], [4, 4, 3, 5], 2, 1, 1, 't');
    expect(convKey('forward', 'f32', g)).toBe('forward f32 2x9x7x3->4x3x5 k4x4 s2 d1 p1,1,1,1');
  });
});

describe('convTuningSummary', () => {
  it('counts the choices and sums one run of every product per kernel', () => {
    const t = (chosen: ConvKernel, ms: Partial<Record<ConvKernel, number>> | null) => ({
      key: 'k',
      product: 'forward' as const,
      ms,
      chosen,
    });
    const summary = convTuningSummary([
      t('pipe64', { pipe: 2, pipe64: 1, pipe64w: 1.5, stock: 3 }),
      t('stock', { pipe: 3, pipe64: 2, pipe64w: 2.5, stock: 1.5 }),
    ]);
    expect(summary).toEqual({
      products: 2,
      chosen: { pipe: 0, pipe64: 1, pipe64w: 0, stock: 1 },
      ms: { pipe: 5, pipe64: 3, pipe64w: 4, stock: 4.5, chosen: 2.5 },
    });
    // A device without workgroups of 256 (compatibility mode): no 64x64-by-256 kernel, so no sum for it.
    expect(convTuningSummary([t('pipe', { pipe: 1, pipe64: 2, stock: 3 })]).ms).toEqual({
      pipe: 1,
      pipe64: 2,
      pipe64w: null,
      stock: 3,
      chosen: 1,
    });
    // Untimed (no timestamp queries): no sums.
    expect(convTuningSummary([t('pipe', null)])).toEqual({
      products: 1,
      chosen: { pipe: 1, pipe64: 0, pipe64w: 0, stock: 0 },
      ms: null,
    });
  });

  it('says in one line what a round of tuning decided', () => {
    const ms = { pipe: 2, pipe64: 1, stock: 3 };
    expect(describeTunings([{ key: 'k', product: 'input', ms, chosen: 'pipe64' }])).toBe(
      'conv autotune: 1 product decided (pipe 0, pipe64 1, pipe64w 0, stock 0); one run of each takes 1.0 ms on ' +
        "the chosen kernels, 2.0 on pipe's 32x32, 1.0 on 64x64 by 64 threads, - on 64x64 by 256, 3.0 on tfjs's",
    );
    expect(describeTunings([{ key: 'k', product: 'input', ms: null, chosen: 'pipe' }])).toMatch(/kept their default/);
  });
});

/** Whether the active device runs pipe's 64x64 tiles over 256 threads (not in compatibility mode). */
const wideFits = () => tileFits('64w', webgpuBackend().device.limits);

const convs = (programs: Record<string, number>) => Object.keys(programs).filter((k) => /Conv|Im2Col|MatMul/.test(k));

describe.skipIf(skipped !== null)(title, () => {
  it("tfjs's kernels and pipe's 64x64 tiles, the other candidates of every product, give cpu's values and gradients", async () => {
    process.env.PIPE_WEBGPU_CONV_AUTOTUNE = '1';
    const w4 = randomArr([4, 4, 3, 5], 52);
    const w3 = randomArr([3, 3, 5, 2], 53);
    // A U-Net down and up convolution and a frozen 3x3 (odd sizes, batch 2): every product of each.
    const f = (x: tf.Tensor, w: tf.Tensor) => {
      const h = conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1);
      const up = conv2dTranspose(h, tensor(w4) as tf.Tensor4D, [2, 9, 7, 3], 2, 1);
      // A frozen filter must outlive the step (frozenConv2d): kept, as a backbone's weights are.
      return frozenConv2d(conv2d(up, w as tf.Tensor4D, 2, 1), tf.keep(tensor(w3)) as tf.Tensor4D, 1, 'same');
    };
    const inputs = [randomArr([2, 9, 7, 3], 51), w4];
    const first = await compare(f, inputs); // queues each product; runs them on the defaults
    expectAgree(first, 1e-4, 1e-3);
    const keys = pendingConvKeys();
    expect(new Set(keys.map((k) => k.split(' ')[0]))).toEqual(new Set(['forward', 'input', 'filter']));
    for (const k of keys) chooseConvKernel(k, 'stock');
    const r = await compare(f, inputs);
    expectAgree(r, 1e-4, 1e-3);
    expect(convs(r.dispatches.byProgram).some((k) => k.startsWith('Pipe'))).toBe(false);
    expect(pendingConvKeys()).toEqual([]);
    // And on pipe's 64x64 tiles (split over K as their own tile count asks, so not always as the 32x32 kernel is),
    // over 64 threads and, where the device runs workgroups of 256 (not in compatibility mode), over 256.
    await initBackend('webgpu');
    const fits = wideFits();
    await initBackend('cpu');
    const wide: [ConvKernel, string][] = [
      ['pipe64', '_t64'],
      ...(fits ? [['pipe64w', '_t64w'] as [ConvKernel, string]] : []),
    ];
    for (const [kernel, suffix] of wide) {
      for (const k of keys) chooseConvKernel(k, kernel);
      const r64 = await compare(f, inputs);
      expectAgree(r64, 1e-4, 1e-3);
      expect(convs(r64.dispatches.byProgram).every((k) => k.startsWith('PipeConv_') && k.endsWith(suffix))).toBe(true);
    }
  });

  it("pipe's 64x64 tiles compute the 32x32 kernel's sums in the same order: the same bits, split alike", async () => {
    // 64x64 over 64 threads everywhere; over 256 threads where the device allows it.
    await initBackend('webgpu');
    try {
      for (const [xs, ws, stride, pad] of [
        [[2, 17, 15, 5], [3, 3, 5, 70], 1, 'same'],
        [[1, 16, 16, 70], [4, 4, 70, 33], 2, 1],
      ] as const) {
        const x = tensor(randomArr([...xs], 61)) as tf.Tensor4D;
        const w = tensor(randomArr([...ws], 62)) as tf.Tensor4D;
        const g = convGeometry(x.shape, w.shape, stride, pad, 1, 'test');
        const dy = tensor(randomArr([g.batch, g.outH, g.outW, g.outC], 63)) as tf.Tensor4D;
        for (const splits of [1, 3]) {
          const run = (tile: TileSize) => [
            forwardConvWebgpu(x, w, g, { splits, tile }),
            inputGradWebgpu(dy, w, g, { splits, tile }),
            filterGradWebgpu(x, dy, g, { splits, tile }),
          ];
          const narrow = run(32);
          for (const tile of [64, ...(wideFits() ? ['64w' as const] : [])] as TileSize[]) {
            const wide = run(tile);
            for (let i = 0; i < 3; i++) {
              expect(await data(wide[i]!), `${tile}: product ${i}, ${splits} splits`).toEqual(await data(narrow[i]!));
            }
            tf.dispose(wide);
          }
          tf.dispose(narrow);
        }
        tf.dispose([x, w, dy]);
      }
    } finally {
      await initBackend('cpu');
    }
  });

  it('decides the products a training step met: the fastest where the GPU times them, else the default', async () => {
    process.env.PIPE_WEBGPU_CONV_AUTOTUNE = '1';
    await initBackend('webgpu');
    const { trainer, batch, dispose } = await tinyPix2pix();
    try {
      await trainer.step(batch, 0.0002, 0);
      const queued = pendingConvKeys().length;
      expect(queued).toBeGreaterThan(10);
      await tunePendingConvs();
      const t = convTunings();
      expect(t).toHaveLength(queued);
      expect(pendingConvKeys()).toEqual([]);
      if (testAdapter() === null) {
        // llvmpipe through OpenGL ES has no timestamp queries: nothing timed, every product on pipe's kernel.
        expect(t.every((x) => x.ms === null && x.chosen === 'pipe')).toBe(true);
      } else {
        for (const x of t) {
          // Vulkan devices run workgroups of 256, so all four kernels are timed.
          for (const k of CONV_KERNELS) expect(x.ms![k], `${x.key} ${k}`).toBeGreaterThan(0);
          expect(x.ms![x.chosen], x.key).toBe(Math.min(...CONV_KERNELS.map((k) => x.ms![k]!)));
        }
      }
      const terms = await trainer.step(batch, 0.0002, 1); // on the chosen kernels, queuing nothing new
      expect(Object.values(terms).every(Number.isFinite)).toBe(true);
      expect(pendingConvKeys()).toEqual([]);
    } finally {
      dispose();
      await initBackend('cpu');
    }
  });
});

// Needs kernel choices other than the default, so timestamp queries (not llvmpipe's OpenGL ES); and as bookkeeping,
// not SwiftShader: lavapipe alone runs it.
describe.skipIf(skipped !== null || testAdapter() === null || driverIndependentSkipped())(`${title}: resuming`, () => {
  it("a resumed run continues on the checkpoint's kernel choices and ends bit for bit as uninterrupted", async () => {
    process.env.PIPE_WEBGPU_CONV_AUTOTUNE = '1';
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'pipe-autotune-resume-'));
    await initBackend('webgpu');
    try {
      const { split, params, dirs } = await resumableRun(tmp);
      // Choices timed once, then given to both runs before their first step, so that both train on the same kernels
      // throughout and neither times anything.
      await trainModel({ params, split, ...dirs('tune'), stopAfterEpochs: 1 });
      const choices = convChoicesToSave('here')!.choices;
      expect(Object.values(choices).some((k) => k !== 'pipe')).toBe(true); // else kernels could not differ
      const seed = () => {
        resetConvTuning();
        for (const [k, v] of Object.entries(choices)) chooseConvKernel(k, v);
      };
      seed();
      await trainModel({ params, split, ...dirs('whole') });
      seed();
      await trainModel({ params, split, ...dirs('parts'), stopAfterEpochs: 1 });
      resetConvTuning(); // the resumed run knows only what the checkpoint kept
      const log: string[] = [];
      const resumed = await trainModel({ params, split, ...dirs('parts'), log: (l) => log.push(l) });
      expect(resumed.resumedFromEpoch).toBe(1);
      expect(log.join('\n')).toContain(`continuing on the ${Object.keys(choices).length} kernel choices`);
      await expectSameWeights(dirs('whole').outDir, dirs('parts').outDir);
    } finally {
      await initBackend('cpu');
      await fs.rm(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.skipIf(skipped === null)(title, () => {
  it('is skipped only where webgpu cannot run (never in CI)', () => expectSkipAllowed(skipped));
});
