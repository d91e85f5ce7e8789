// Which optional WebGPU features the device asks for, on an adapter object standing in for Dawn's (the real adapters
// are in subgroups.test.ts and f16.test.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { requestOptionalFeatures } from './features.js';

/** An adapter as Dawn hands it out, recording the device descriptors it is asked for. */
function fakeAdapter(features: string[]) {
  const asked: { requiredFeatures?: unknown[] }[] = [];
  const adapter = {
    features: new Set(features),
    requestDevice: async (d?: { requiredFeatures?: unknown[] }) => void asked.push(d ?? {}),
  };
  return { gpu: { requestAdapter: async () => adapter }, adapter, asked };
}

describe('asking for the optional features', () => {
  afterEach(() => {
    delete process.env.PIPE_WEBGPU_SUBGROUPS;
  });

  it('adds subgroups and shader-f16 to what tfjs asks for, only where the adapter offers them', async () => {
    for (const [features, expected] of [
      [
        ['subgroups', 'timestamp-query'],
        ['timestamp-query', 'subgroups'],
      ],
      [['timestamp-query'], ['timestamp-query']],
      [
        ['shader-f16', 'subgroups'],
        ['timestamp-query', 'subgroups', 'shader-f16'],
      ],
    ] as const) {
      const { gpu, asked } = fakeAdapter([...features]);
      requestOptionalFeatures(gpu);
      const adapter = (await gpu.requestAdapter()) as { requestDevice(d: object): Promise<unknown> };
      await adapter.requestDevice({ requiredFeatures: ['timestamp-query'] });
      expect(asked[0]!.requiredFeatures).toEqual(expected);
    }
  });

  it('leaves subgroups out with PIPE_WEBGPU_SUBGROUPS=0', async () => {
    process.env.PIPE_WEBGPU_SUBGROUPS = '0';
    const { gpu, asked } = fakeAdapter(['subgroups']);
    requestOptionalFeatures(gpu);
    await ((await gpu.requestAdapter()) as { requestDevice(d: object): Promise<unknown> }).requestDevice({});
    expect(asked[0]!.requiredFeatures).toBeUndefined();
    const withF16 = fakeAdapter(['subgroups', 'shader-f16']);
    requestOptionalFeatures(withF16.gpu);
    await ((await withF16.gpu.requestAdapter()) as { requestDevice(d: object): Promise<unknown> }).requestDevice({});
    expect(withF16.asked[0]!.requiredFeatures).toEqual(['shader-f16']);
  });
});
