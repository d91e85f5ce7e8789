// Runs a compute shader of pipe's own on the tfjs webgpu backend, sharing its device, command encoder, compute
// pass and submit batching, so the dispatch lands in the same queue order as the stock kernels around it. Unlike a
// stock tfjs program it can write several outputs in one dispatch (Adam's parameter and both moments, a norm's
// two statistics). runKernel's outputs are fresh tensors: nothing is written in place, so no aliasing rule of tfjs is
// bent. recordDispatch binds given tensors as they are; only storage that no other tensor can see (the fused Adam's
// flat buffers, webgpu/flat-adam.ts) is ever bound read_write through it.
import * as tf from '@tensorflow/tfjs-core';
import { keptBindGroup, keptUniformBuffer, type BindingDevice, type UniformValue } from './bind-groups.js';
import { noteDispatch } from './dispatches.js';
import { timedPass } from './gpu-times.js';
import { webgpuSetting } from './settings.js';

interface TensorData {
  resource: unknown;
  dtype: string;
}
interface ComputePass {
  setPipeline(p: unknown): void;
  setBindGroup(i: number, g: unknown): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
}
interface GpuDevice extends BindingDevice {
  features: { has(name: string): boolean };
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number; maxComputeInvocationsPerWorkgroup: number };
  createShaderModule(d: { code: string }): unknown;
  createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string } }): {
    getBindGroupLayout(i: number): unknown;
  };
}
interface CommandEncoder {
  beginComputePass(d: object): ComputePass;
  copyBufferToBuffer(src: unknown, srcOffset: number, dst: unknown, dstOffset: number, size: number): void;
}
export interface WebGpuBackend {
  device: GpuDevice;
  tensorMap: { get(id: object): TensorData };
  commandEncoder: CommandEncoder | null;
  computePassEncoder: ComputePass | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  uploadToGPU(id: object): void;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  makeUniforms(u: { type: 'float32' | 'uint32' | 'int32'; data: number[] }[]): unknown;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export type Uniform = UniformValue;

export interface KernelCall {
  /** Names the pipeline in the cache and in the dispatch count. */
  name: string;
  /** WGSL: bindings 0.. are the outputs (read_write), then the inputs (read), then one uniform struct. */
  wgsl: string;
  inputs: tf.Tensor[];
  outputShapes: number[][];
  /** Scalars of the uniform struct, in member order (each 4 bytes). */
  uniforms: Uniform[];
  /** The uniforms change every step (Adam's bias corrections): their buffer and bind group are not kept. */
  perStepUniforms?: boolean;
  workgroups: [number, number?, number?];
}

type Pipeline = ReturnType<GpuDevice['createComputePipeline']>;

/** Per device: per kernel name, the pipeline of each WGSL text. */
const pipelines = new WeakMap<GpuDevice, Map<string, Map<string, Pipeline>>>();

const shaders = new Map<string, string>();

/**
 * The WGSL text for `key` (the name and parameters it is generated from), made by `make` once. Each dispatch looks
 * its pipeline up by the text: one made anew per dispatch had to be built and hashed each time (about 5 us of the
 * host's ~100 us per dispatch), where the same string object keeps its hash.
 */
export function shader(key: string, make: () => string): string {
  let text = shaders.get(key);
  if (text === undefined) shaders.set(key, (text = make()));
  return text;
}

/**
 * Whether the ops should use pipe's kernels: on the webgpu backend, unless PIPE_WEBGPU_KERNELS=stock asks for tfjs's
 * own (to compare dispatches and times, or to rule pipe's kernels out when chasing a wrong result).
 */
export function isWebgpu(): boolean {
  return tf.getBackend() === 'webgpu' && webgpuSetting('kernels') !== 'stock';
}

export function webgpuBackend(): WebGpuBackend {
  return tf.backend() as unknown as WebGpuBackend;
}

function pipelineFor(b: WebGpuBackend, name: string, wgsl: string): Pipeline {
  let byName = pipelines.get(b.device);
  if (!byName) pipelines.set(b.device, (byName = new Map()));
  let byText = byName.get(name);
  if (!byText) byName.set(name, (byText = new Map()));
  let p = byText.get(wgsl);
  if (!p) {
    p = b.device.createComputePipeline({
      layout: 'auto',
      compute: { module: b.device.createShaderModule({ code: wgsl }), entryPoint: 'main' },
    });
    byText.set(wgsl, p);
  }
  return p;
}

/** The submit-batch size tfjs uses; pipe's dispatches count towards the same batch. */
const batchSize = () => Number(tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE'));

export interface Dispatch {
  /** Names the pipeline in the cache and in the dispatch count. */
  name: string;
  /** WGSL: bindings 0.. are the tensors' buffers in order, then one uniform struct. */
  wgsl: string;
  /** Tensors already on the GPU (uploadToGPU), bound as they are. */
  dataIds: object[];
  uniforms: Uniform[];
  perStepUniforms?: boolean;
  workgroups: [number, number?, number?];
}

/** Records one dispatch in the backend's current compute pass (started if needed), and submits per tfjs's batch. */
export function recordDispatch(b: WebGpuBackend, d: Dispatch): void {
  const pipeline = pipelineFor(b, d.name, d.wgsl);
  const buffers = d.dataIds.map((id) => b.tensorMap.get(id).resource as object);
  const layout = () => pipeline.getBindGroupLayout(0);
  let group: unknown;
  if (d.perStepUniforms) {
    const entries = buffers.map((buffer, binding) => ({ binding, resource: { buffer } as unknown }));
    const uniforms = b.makeUniforms(d.uniforms.map((u) => ({ type: u.type, data: [u.value] })));
    entries.push({ binding: buffers.length, resource: uniforms });
    group = b.device.createBindGroup({ layout: layout(), entries });
  } else {
    group = keptBindGroup(b.device, pipeline, layout, [...buffers, keptUniformBuffer(b.device, d.uniforms) as object]);
  }
  encodeDispatch(b, d.name, pipeline, group, d.dataIds, d.workgroups);
  noteDispatch(d.name);
}

/**
 * Records `pipeline` over `group` in the backend's current compute pass (started if needed) and submits per tfjs's
 * batch, as tfjs records its own programs; `dataIds` are the tensors bound. While GPU times are recorded
 * (gpu-times.ts), the dispatch gets a pass of its own, stamped under `name`.
 */
export function encodeDispatch(
  b: WebGpuBackend,
  name: string,
  pipeline: unknown,
  group: unknown,
  dataIds: object[],
  workgroups: [number, number?, number?],
): void {
  // The backend frees a buffer used by recorded-but-unsubmitted commands only after the next submit.
  for (const id of dataIds) b.commandQueueOwnedIds.add(id);
  b.ensureCommandEncoderReady();
  const timed = timedPass(name);
  if (timed) b.endComputePassEncoder();
  b.computePassEncoder ??= b.commandEncoder!.beginComputePass(timed ?? {});
  const pass = b.computePassEncoder;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
  if (timed) b.endComputePassEncoder();
  if (++b.dispatchCountInPass >= batchSize()) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
}

/** Records one dispatch of `call` and returns its outputs (float32) as new tensors. */
export function runKernel(call: KernelCall): tf.Tensor[] {
  const b = webgpuBackend();
  for (const t of call.inputs) {
    if (t.dtype !== 'float32') throw new Error(`${call.name}: input of dtype ${t.dtype}, expected float32`);
    b.uploadToGPU(t.dataId);
  }
  const outputs = call.outputShapes.map((shape) => b.makeTensorInfo(shape, 'float32'));
  for (const o of outputs) b.uploadToGPU(o.dataId);
  const dataIds = [...outputs.map((o) => o.dataId), ...call.inputs.map((t) => t.dataId)];
  recordDispatch(b, {
    name: call.name,
    wgsl: call.wgsl,
    dataIds,
    uniforms: call.uniforms,
    perStepUniforms: call.perStepUniforms,
    workgroups: call.workgroups,
  });
  return outputs.map((o) => tf.engine().makeTensorFromTensorInfo(o));
}

/** Workgroups for a grid-stride loop over n elements with `size` threads per workgroup (<= 65535 per dimension). */
export function strideGrid(n: number, size: number): [number] {
  return [Math.max(1, Math.min(65535, Math.ceil(n / size)))];
}
