// Bind groups reused across training steps. Creating one per dispatch was the largest single host cost of recording a
// step (about 23 us each through Dawn's Node binding, a fifth of the host's time: docs/gpu.md, "Host time"). A
// step's dispatches see the same buffers step after step, since tfjs's buffer pool hands freed buffers out again in
// an order kept stable (buffer-order.ts), and the same uniforms (shapes and constants), so a bind group made once for a
// pipeline, its buffers and its uniform buffer serves again whenever all of them recur.
// - Uniform buffers are kept per content and written once. Uniforms that change every step (Adam's bias corrections)
//   take tfjs's per-dispatch uniform buffer instead, and their bind group is not kept.
// - The cache is a chain of WeakMaps keyed by the pipeline, then each buffer object: an entry goes when one of its
//   buffers is collected, and a buffer that tfjs destroyed is never handed out again, so no kept bind group can
//   refer to a dead buffer while still being found. It starts afresh after KEEP_AT_MOST bind groups.

export interface BindingDevice {
  createBuffer(d: { size: number; usage: number }): unknown;
  createBindGroup(d: { layout: unknown; entries: { binding: number; resource: unknown }[] }): unknown;
  queue: { writeBuffer(buffer: unknown, offset: number, data: ArrayBuffer): void };
}

export type UniformValue = { type: 'float32' | 'uint32' | 'int32'; value: number };

interface Node {
  next: WeakMap<object, Node>;
  group?: unknown;
}

let roots = new WeakMap<object, Node>();

/**
 * Combinations that do not recur (a step that changes shape, a sample or an evaluation between training steps) would
 * pile up while their buffers live on in the pool, so the cache starts afresh after this many bind groups.
 */
const KEEP_AT_MOST = 8192;
let madeSinceReset = 0;

/** Bind groups made and reused so far (bench/gpu/step.ts prints them per step). */
export const bindGroupCounts = { made: 0, reused: 0 };
const uniformBuffers = new WeakMap<object, Map<string, unknown>>();

/**
 * A stock program whose uniforms carry a value that changes every step (tf.fill of a per-step scalar, say) would
 * add a uniform buffer per step for ever, so the uniform buffers start afresh after this many per device. Bind
 * groups made over the old ones keep them alive until they go themselves.
 */
const KEEP_UNIFORMS_AT_MOST = 4096;

/** GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST (constants of the WebGPU spec). */
const UNIFORM_USAGE = 0x40 | 0x8;

/** The uniforms packed as tfjs packs scalar members: 4 bytes each, in order. */
function pack(uniforms: UniformValue[]): ArrayBuffer {
  const data = new ArrayBuffer(Math.max(4, uniforms.length * 4));
  const view = new DataView(data);
  uniforms.forEach((u, i) => {
    if (u.type === 'float32') view.setFloat32(i * 4, u.value, true);
    else if (u.type === 'int32') view.setInt32(i * 4, u.value, true);
    else view.setUint32(i * 4, u.value, true);
  });
  return data;
}

/** A uniform buffer holding `uniforms`, made and written once per device and content. */
export function keptUniformBuffer(device: BindingDevice, uniforms: UniformValue[]): unknown {
  return keptUniformBytes(device, pack(uniforms));
}

/** A uniform buffer holding `data` (a packed uniform struct), made and written once per device and content. */
export function keptUniformBytes(device: BindingDevice, data: ArrayBuffer): unknown {
  let byContent = uniformBuffers.get(device);
  if (!byContent) uniformBuffers.set(device, (byContent = new Map()));
  // The bytes themselves, two to a character: exact (a float's sign and NaN payload included) and cheap to hash.
  const key = String.fromCharCode(...new Uint16Array(data));
  let buffer = byContent.get(key);
  if (!buffer) {
    if (byContent.size >= KEEP_UNIFORMS_AT_MOST) byContent.clear();
    buffer = device.createBuffer({ size: data.byteLength, usage: UNIFORM_USAGE });
    device.queue.writeBuffer(buffer, 0, data);
    byContent.set(key, buffer);
  }
  return buffer;
}

/** The bind group of `pipeline` over `buffers` (storage first, the uniform buffer last), made once per combination. */
export function keptBindGroup(device: BindingDevice, pipeline: object, layout: () => unknown, buffers: object[]) {
  let node: Node | undefined = roots.get(pipeline);
  if (!node) roots.set(pipeline, (node = { next: new WeakMap() }));
  for (const buffer of buffers) {
    let next: Node | undefined = node.next.get(buffer);
    if (!next) node.next.set(buffer, (next = { next: new WeakMap() }));
    node = next;
  }
  if (node.group) {
    bindGroupCounts.reused++;
    return node.group;
  }
  if (madeSinceReset >= KEEP_AT_MOST) {
    roots = new WeakMap();
    madeSinceReset = 0;
    return keptBindGroup(device, pipeline, layout, buffers);
  }
  bindGroupCounts.made++;
  madeSinceReset++;
  node.group = device.createBindGroup({
    layout: layout(),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  return node.group;
}
