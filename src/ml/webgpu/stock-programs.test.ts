// tfjs's own programs recorded through stock-programs.ts (kept bind groups and uniform buffers) against the same
// programs recorded by tfjs itself: tf.time keeps tfjs's path, so each op runs both ways on the same adapter and
// must agree bit for bit. A uniform built differently from tfjs's (a shape, a stride, an alignment, a program's own
// value) changes the result. Each op runs twice on new values, so a kept bind group that still pointed at the
// first round's buffers would show too.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../backend.js';
import { bindGroupCounts } from './bind-groups.js';
import { expectSkipAllowed, webgpuSkipReason } from './test-support.js';

const skipped = await webgpuSkipReason();
const title = skipped
  ? `tfjs programs with kept bind groups (skipped: ${skipped})`
  : 'tfjs programs with kept bind groups';

const x = <R extends tf.Rank>(shape: number[], seed: number) =>
  tf.randomUniform(shape as tf.ShapeMap[R], -2, 2, 'float32', seed) as tf.Tensor<R>;

/** Ops whose webgpu kernels are tfjs's programs: element-wise with broadcasting, reductions, layout, conv, pooling. */
const OPS: Record<string, (s: number) => tf.Tensor> = {
  'add, broadcast': (s) => tf.add(x([2, 3, 5], s), x([5], s + 1)),
  'mul by a scalar': (s) => tf.mul(x([7, 3], s), tf.scalar(0.3 + s)),
  'sub, divide, maximum': (s) => tf.maximum(tf.div(tf.sub(x([4, 6], s), x([4, 1], s + 1)), 1.7), -0.25),
  'exp, neg, leakyRelu': (s) => tf.leakyRelu(tf.neg(tf.exp(x([3, 9], s))), 0.2),
  'concat, slice': (s) => tf.slice(tf.concat([x([2, 3, 4], s), x([2, 5, 4], s + 1)], 1), [0, 2, 1], [2, 4, 2]),
  'transpose, pad': (s) =>
    tf.pad(
      tf.transpose(x([2, 3, 4], s), [2, 0, 1]),
      [
        [1, 0],
        [0, 2],
        [1, 1],
      ],
      0.5,
    ),
  'sum, mean, max': (s) =>
    tf.stack([tf.sum(x([5, 6], s), 1), tf.mean(x([5, 6], s + 1), 1), tf.max(x([5, 6], s + 2), 1)]),
  'matMul, transposed': (s) => tf.matMul(x([3, 5], s), x([4, 5], s + 1), false, true),
  'conv2d, stride 2, same': (s) =>
    tf.conv2d(x<tf.Rank.R4>([1, 9, 7, 3], s), x<tf.Rank.R4>([3, 3, 3, 4], s + 1), 2, 'same'),
  'avgPool, resizeBilinear': (s) =>
    tf.image.resizeBilinear(tf.avgPool(x<tf.Rank.R4>([1, 8, 8, 2], s), 2, 2, 'valid'), [5, 7]),
  'cast, where': (s) => tf.where(tf.greater(x([6], s), 0), tf.cast(tf.range(0, 6), 'float32'), x([6], s + 1)),
};

/** The op's values, everything it made disposed (so the next run can get the same buffers from the pool). */
async function run(op: (s: number) => tf.Tensor, seed: number): Promise<number[]> {
  const y = tf.tidy(() => op(seed));
  const values = Array.from(await y.data());
  y.dispose();
  return values;
}

/** `f`'s result, with its programs recorded by tfjs's own path (tf.time keeps it, for its timestamp queries). */
async function timed<T>(f: () => Promise<T>): Promise<T> {
  let out: Promise<T> | undefined;
  await tf.time(() => void (out = f()));
  return out!;
}

describe.skipIf(skipped !== null)(title, () => {
  it('give the same bits as tfjs recording them itself, with bind groups found again on new values', async () => {
    await initBackend('webgpu');
    // tfjs runs ops on small tensors that are still on the CPU there; these must reach the GPU.
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    try {
      for (const [name, op] of Object.entries(OPS)) {
        for (const seed of [1, 11]) {
          const before = { ...bindGroupCounts };
          const kept = await run(op, seed);
          const found = bindGroupCounts.reused - before.reused;
          const made = bindGroupCounts.made + bindGroupCounts.reused;
          const stock = await timed(() => run(op, seed));
          expect(bindGroupCounts.made + bindGroupCounts.reused, "tf.time kept tfjs's own path").toBe(made);
          expect(kept, `${name}, seed ${seed}`).toEqual(stock);
          if (seed === 11) expect(found, `${name}: bind groups found again`).toBeGreaterThan(0);
        }
      }
    } finally {
      tf.env().set('WEBGPU_CPU_FORWARD', true);
      await initBackend('cpu');
    }
  });
});

describe.skipIf(skipped === null)(title, () => {
  it('is skipped only where webgpu cannot run (never in CI)', () => expectSkipAllowed(skipped));
});
