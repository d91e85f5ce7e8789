// GPU times per program: the sums over timestamp pairs, and on the real adapters a training step whose every dispatch
// (pipe's and tfjs's) is stamped once, with the same results as untimed. Both Vulkan test adapters (SwiftShader,
// lavapipe) offer timestamp-query; llvmpipe through OpenGL ES does not, and must say so.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { conv2d, conv2dTranspose } from '../ops/index.js';
import { countDispatches } from './dispatches.js';
import { gpuTimesUnavailable, meanGpuTimes, startGpuTimes, stopGpuTimes, summariseStamps } from './gpu-times.js';
import { data, expectSkipAllowed, testAdapter, tinyPix2pix, webgpuSkipReason } from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `GPU times (skipped: ${skipped})` : 'GPU times';

describe('summariseStamps', () => {
  it('sums each program, spans first start to last end, and sets aside unusable pairs', () => {
    const ns = (...xs: number[]) => BigUint64Array.from(xs.map((x) => BigInt(x * 1e6)));
    // conv 1 ms, add 0.5 ms, conv 3 ms after a 1 ms gap, then a pair ending before it starts.
    const t = summariseStamps(['conv', 'add', 'conv', 'norm'], ns(10, 11, 11, 11.5, 12.5, 15.5, 20, 19));
    expect(t).toEqual({
      dispatches: 4,
      invalid: 1,
      busyMs: 4.5,
      spanMs: 5.5,
      programs: [
        { name: 'conv', count: 2, ms: 4 },
        { name: 'add', count: 1, ms: 0.5 },
      ],
    });
  });

  it('averages recordings per step', () => {
    const a = { dispatches: 3, invalid: 0, busyMs: 3, spanMs: 4, programs: [{ name: 'conv', count: 3, ms: 3 }] };
    const b = { dispatches: 1, invalid: 0, busyMs: 1, spanMs: 2, programs: [{ name: 'add', count: 1, ms: 1 }] };
    expect(meanGpuTimes([a, b])).toEqual({
      dispatches: 2,
      invalid: 0,
      busyMs: 2,
      spanMs: 3,
      programs: [
        { name: 'conv', count: 1.5, ms: 1.5 },
        { name: 'add', count: 0.5, ms: 0.5 },
      ],
    });
  });
});

describe.skipIf(skipped !== null)(title, () => {
  it('is offered by the Vulkan adapters and refused, with the reason, on OpenGL ES', async () => {
    await initBackend('webgpu');
    try {
      if (testAdapter() === null) {
        expect(gpuTimesUnavailable()).toBe('the adapter does not offer timestamp-query');
        expect(() => startGpuTimes()).toThrow(/timestamp-query/);
      } else {
        expect(gpuTimesUnavailable()).toBeNull();
      }
    } finally {
      await initBackend('cpu');
    }
  });

  it.skipIf(testAdapter() === null)('leaves results bit for bit as they are', async () => {
    await initBackend('webgpu');
    try {
      const x = tf.randomUniform([1, 16, 16, 8], -1, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomUniform([4, 4, 8, 8], -1, 1, 'float32', 2) as tf.Tensor4D;
      const f = () => tf.add(conv2dTranspose(conv2d(x, w, 2, 'same'), w, [1, 16, 16, 8], 2, 'same'), x);
      const plain = await data(f());
      startGpuTimes();
      const y = f();
      const times = await stopGpuTimes();
      expect(await data(y)).toEqual(plain);
      expect(times.programs.map((p) => p.name).sort()).toEqual([
        'BinaryOpProgram',
        'PipeConv_forward',
        'PipeConv_input',
      ]);
      tf.dispose([x, w, y]);
    } finally {
      await initBackend('cpu');
    }
  });

  it.skipIf(testAdapter() === null)('stamps every dispatch of a training step once, under its program', async () => {
    await initBackend('webgpu');
    const { trainer, batch, dispose } = await tinyPix2pix();
    try {
      await trainer.step(batch, 0.0002, 0); // compiles the pipelines
      startGpuTimes();
      const { result, dispatches } = await countDispatches(() => trainer.launch(batch, 0.0002, 1));
      const times = await stopGpuTimes();
      tf.dispose(Object.values(result));
      expect(times.dispatches).toBe(dispatches.total);
      expect(times.invalid).toBe(0);
      expect(Object.fromEntries(times.programs.map((p) => [p.name, p.count]))).toEqual(dispatches.byProgram);
      for (const p of times.programs) expect(p.ms, p.name).toBeGreaterThanOrEqual(0);
      expect(times.busyMs).toBeGreaterThan(0);
      // The GPU runs a step's dispatches in order here: their times fit within the span.
      expect(times.busyMs).toBeLessThanOrEqual(times.spanMs * 1.001);
      expect(() => startGpuTimes()).not.toThrow(); // the recording ended; a new one may start
      await stopGpuTimes();
    } finally {
      dispose();
      await initBackend('cpu');
    }
  });
});

describe.skipIf(skipped === null)(title, () => {
  it('is skipped only where webgpu cannot run (never in CI)', () => expectSkipAllowed(skipped));
});
