import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';

describe('initBackend', () => {
  it('auto skips the native backends that are not installed and a software adapter, says why, and lands on wasm', async () => {
    const info = await initBackend('auto');
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.simd).toBe(true);
    expect(info.threads).toBe(1);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    // webgpu is passed over: no adapter, or only a software rasteriser (Mesa llvmpipe) on a machine without a GPU.
    expect(info.fallbacks.map((f) => f.backend)).toEqual(['tensorflow-gpu', 'webgpu', 'tensorflow']);
    expect(info.fallbacks[1].reason).toMatch(/software rasteriser|adapter|not installed/);
    expect(info.fallbacks[2].reason).toMatch(/tfjs-node/);
  });

  it('switches to cpu and back without reinitialising wasm', async () => {
    expect((await initBackend('cpu')).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend('wasm')).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('a backend requested by name that cannot load is a user error saying what to install', async () => {
    await expect(initBackend('tensorflow')).rejects.toMatchObject({
      code: 'PIPE_BACKEND_UNAVAILABLE',
      message: expect.stringMatching(/npm i @tensorflow\/tfjs-node/),
    });
  });

  it('registers the stock gradients tfjs-core lacks on its own', async () => {
    await initBackend('cpu');
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2]));
    expect(Array.from(g.dataSync())).toEqual([2, 4]);
  });
});
