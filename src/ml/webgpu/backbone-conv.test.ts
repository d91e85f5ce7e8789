// PIPE_WEBGPU_BACKBONE_CONV: checked as a user setting; on the real adapter, `pipe` runs a pretrained backbone's
// frozen convolutions on pipe's kernels (value and input gradient as cpu's, and finite differences), and the default
// keeps tfjs's own convolution programs.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { PipeError } from '../../core/errors.js';
import { frozenConv2d } from '../ops/frozen_conv2d.js';
import { randomArr } from '../ops/testing.js';
import { backboneConv } from './backbone-conv.js';
import { compare, expectAgree, expectSkipAllowed, tensor, webgpuSkipReason } from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `backbone convolutions on webgpu (skipped: ${skipped})` : 'backbone convolutions on webgpu';

describe('PIPE_WEBGPU_BACKBONE_CONV', () => {
  it('is stock unless set to pipe', () => {
    expect(backboneConv({})).toBe('stock');
    expect(backboneConv({ PIPE_WEBGPU_BACKBONE_CONV: 'stock' })).toBe('stock');
    expect(backboneConv({ PIPE_WEBGPU_BACKBONE_CONV: 'pipe' })).toBe('pipe');
  });

  it('refuses anything else with a usage error that says what to do', () => {
    const bad = () => backboneConv({ PIPE_WEBGPU_BACKBONE_CONV: 'fast' });
    expect(bad).toThrow(PipeError);
    expect(bad).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: expect.stringContaining('got "fast"'),
        hint: expect.stringMatching(/Unset it/),
      }),
    );
  });
});

describe.skipIf(skipped !== null)(title, () => {
  const cases = [
    { name: '3x3 stride 1 same (VGG)', x: [2, 7, 6, 5], w: [3, 3, 5, 4], stride: 1, pad: 'same' as const },
    {
      name: '3x3 stride 2 valid (SqueezeNet conv1)',
      x: [1, 9, 9, 3],
      w: [3, 3, 3, 4],
      stride: 2,
      pad: 'valid' as const,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: pipe's kernels give cpu's value and input gradient, and finite differences`, async () => {
      const w = randomArr(c.w, 92);
      // A frozen filter must outlive the step (frozenConv2d): kept, as a backbone's weights are.
      const f = (x: tf.Tensor) => frozenConv2d(x as tf.Tensor4D, tf.keep(tensor(w)) as tf.Tensor4D, c.stride, c.pad);
      const stock = await compare(f, [randomArr(c.x, 91)]);
      const convs = (r: typeof stock) =>
        Object.keys(r.dispatches.byProgram).filter((k) => /Conv|Im2Col|MatMul/.test(k));
      expect(convs(stock).some((k) => k.startsWith('Pipe'))).toBe(false); // tfjs's conv (im2col + matmul here)
      process.env.PIPE_WEBGPU_BACKBONE_CONV = 'pipe';
      try {
        const r = await compare(f, [randomArr(c.x, 91)]);
        expectAgree(r, 1e-5, 1e-3);
        expect(convs(r).every((k) => k.startsWith('PipeConv_'))).toBe(true);
        expect(convs(r)).toContain('PipeConv_forward');
        expect(convs(r).some((k) => k.startsWith('PipeConv_input'))).toBe(true);
      } finally {
        delete process.env.PIPE_WEBGPU_BACKBONE_CONV;
      }
    });
  }
});

describe.skipIf(skipped === null)(title, () => {
  it('is skipped only where webgpu cannot run (never in CI)', () => expectSkipAllowed(skipped));
});
