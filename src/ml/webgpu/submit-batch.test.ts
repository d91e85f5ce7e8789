// PIPE_WEBGPU_SUBMIT_BATCH: checked as a user setting, and on the real adapter a training step then submits its
// command buffers per that many dispatches.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { PipeError } from '../../core/errors.js';
import { initBackend } from '../backend.js';
import { countDispatches } from './dispatches.js';
import { applySubmitBatch } from './submit-batch.js';
import { expectSkipAllowed, tinyPix2pix, webgpuSkipReason } from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped ? `submit batch (skipped: ${skipped})` : 'submit batch';

describe('PIPE_WEBGPU_SUBMIT_BATCH', () => {
  it.each(['0', '-3', '2.5', 'many'])('refuses %s with a usage error that says what to do', (raw) => {
    const bad = () => applySubmitBatch({ PIPE_WEBGPU_SUBMIT_BATCH: raw });
    expect(bad).toThrow(PipeError);
    expect(bad).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: expect.stringContaining(`got "${raw}"`),
        hint: expect.stringMatching(/Unset it/),
      }),
    );
  });
});

describe.skipIf(skipped !== null)(title, () => {
  it('a training step submits once per batch of dispatches: 15 by default, 64 when asked', async () => {
    const submits: Record<string, { submits: number; dispatches: number }> = {};
    const info = await initBackend('webgpu');
    expect(info.details?.submitBatch).toBe(15); // the setting is read when webgpu loads; here applied anew per batch
    for (const batch of ['', '64']) {
      expect(applySubmitBatch({ PIPE_WEBGPU_SUBMIT_BATCH: batch })).toBe(batch === '' ? 15 : 64);
      const { trainer, batch: AB, dispose } = await tinyPix2pix();
      const queue = (tf.backend() as unknown as { queue: { submit(b: unknown[]): void } }).queue;
      const submit = queue.submit;
      let n = 0;
      queue.submit = (buffers) => (n++, submit.call(queue, buffers));
      try {
        const { result, dispatches } = await countDispatches(() => trainer.launch(AB, 0.0002, 0));
        submits[batch || '15'] = { submits: n, dispatches: dispatches.total };
        tf.dispose(Object.values(result));
      } finally {
        queue.submit = submit;
        dispose();
        tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 15);
      }
    }
    await initBackend('cpu');
    // Uploads and reads add a few submits of their own; the batches set the rest.
    for (const [size, r] of Object.entries(submits)) {
      expect(r.submits, `batch ${size}`).toBeGreaterThanOrEqual(Math.floor(r.dispatches / Number(size)));
    }
    expect(submits['64']!.submits).toBeLessThan(submits['15']!.submits / 2);
  });
});

describe.skipIf(skipped === null)(title, () => {
  it('is skipped only where webgpu cannot run (never in CI)', () => expectSkipAllowed(skipped));
});
