// The bind-group and uniform-buffer cache on a device object standing in for Dawn's: what is made, what is reused,
// how uniforms are packed. Training on real adapters with the cache in place is tested in backend-webgpu.test.ts
// (losses against cpu, and a resumed run bit for bit like an uninterrupted one).
import { describe, expect, it } from 'vitest';
import { bindGroupCounts, keptBindGroup, keptUniformBuffer, type BindingDevice } from './bind-groups.js';

function fakeDevice() {
  const made: { entries: { binding: number; resource: unknown }[] }[] = [];
  const written: { buffer: unknown; data: ArrayBuffer }[] = [];
  const device: BindingDevice = {
    createBuffer: (d) => ({ ...d, id: Symbol('buffer') }),
    createBindGroup: (d) => {
      made.push(d);
      return { group: made.length };
    },
    queue: { writeBuffer: (buffer, _offset, data) => void written.push({ buffer, data }) },
  };
  return { device, made, written };
}

describe('kept bind groups', () => {
  it('makes one bind group per pipeline and buffers, and reuses it when they recur', () => {
    const { device, made } = fakeDevice();
    const [pipeline, other] = [{}, {}];
    const [a, b, u] = [{}, {}, {}];
    const layout = () => 'layout';
    const before = { ...bindGroupCounts };
    const first = keptBindGroup(device, pipeline, layout, [a, b, u]);
    expect(keptBindGroup(device, pipeline, layout, [a, b, u])).toBe(first);
    expect(keptBindGroup(device, pipeline, layout, [b, a, u])).not.toBe(first); // other bindings
    expect(keptBindGroup(device, other, layout, [a, b, u])).not.toBe(first); // other pipeline
    expect(keptBindGroup(device, pipeline, layout, [a, u])).not.toBe(first); // a prefix is another combination
    expect(made).toHaveLength(4);
    expect(made[0]!.entries).toEqual([
      { binding: 0, resource: { buffer: a } },
      { binding: 1, resource: { buffer: b } },
      { binding: 2, resource: { buffer: u } },
    ]);
    expect(bindGroupCounts.made - before.made).toBe(4);
    expect(bindGroupCounts.reused - before.reused).toBe(1);
  });

  it('starts afresh after 8,192 bind groups, so combinations that never recur do not pile up', () => {
    const { device, made } = fakeDevice();
    const pipeline = {};
    const kept = {};
    const first = keptBindGroup(device, pipeline, () => 0, [kept]);
    for (let i = 0; i < 9000; i++) keptBindGroup(device, pipeline, () => 0, [{}]);
    expect(keptBindGroup(device, pipeline, () => 0, [kept])).not.toBe(first); // made again after the reset
    expect(made).toHaveLength(9002);
  });

  it('writes each uniform content once, packed 4 bytes per member as tfjs packs them', () => {
    const { device, written } = fakeDevice();
    const u = [
      { type: 'uint32', value: 7 },
      { type: 'int32', value: -2 },
      { type: 'float32', value: 0.2 },
    ] as const;
    const buffer = keptUniformBuffer(device, [...u]);
    expect(keptUniformBuffer(device, [...u])).toBe(buffer);
    expect(keptUniformBuffer(device, [u[0], u[1], { type: 'float32', value: 0.3 }])).not.toBe(buffer);
    expect(keptUniformBuffer(device, [u[0], { type: 'uint32', value: -2 >>> 0 }, u[2]])).toBe(buffer); // same bytes
    expect(keptUniformBuffer(device, [u[0], u[1], { type: 'float32', value: -0 }])).not.toBe(
      keptUniformBuffer(device, [u[0], u[1], { type: 'float32', value: 0 }]),
    );
    expect(written).toHaveLength(4);
    const view = new DataView(written[0]!.data);
    expect(written[0]!.data.byteLength).toBe(12);
    expect([view.getUint32(0, true), view.getInt32(4, true), view.getFloat32(8, true)]).toEqual([
      7,
      -2,
      Math.fround(0.2),
    ]);
    expect((buffer as { usage: number }).usage).toBe(0x40 | 0x8); // UNIFORM | COPY_DST
  });

  it('starts its uniform buffers afresh after 4,096 contents, so per-step values do not pile up', () => {
    const { device, written } = fakeDevice();
    const first = keptUniformBuffer(device, [{ type: 'float32', value: -1 }]);
    for (let i = 0; i < 5000; i++) keptUniformBuffer(device, [{ type: 'uint32', value: i }]);
    expect(keptUniformBuffer(device, [{ type: 'float32', value: -1 }])).not.toBe(first); // written again
    expect(written).toHaveLength(5002);
  });
});
