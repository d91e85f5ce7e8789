// tfjs's own programs (element-wise adds and products, concat, slice: 54 dispatches of a 256² pix2pix step) each
// made a bind group and filled a pooled uniform buffer, 58 us of host time per dispatch against 12 us for pipe's
// kernels, whose bind groups and uniform buffers are kept (bind-groups.ts): a fifth of the host's time per step
// (docs/gpu.md, "Host time"). The backend's recordAndSubmit is replaced by one that builds the same uniforms as tfjs
// and takes a kept bind group and a kept uniform buffer. Programs it does not cover (timed by tf.time/tf.profile,
// drawing to a canvas, bound to a texture) keep tfjs's path.
import * as tf from '@tensorflow/tfjs-core';
import { keptBindGroup, keptUniformBytes } from './bind-groups.js';
import { encodeDispatch, type WebGpuBackend } from './kernel.js';

type ProgramUniform = { type: 'float32' | 'int32' | 'uint32'; data: number[] };

interface StockProgram {
  pipeline: { getBindGroupLayout(i: number): unknown } | Promise<unknown>;
  pixelsOpType?: unknown;
  size?: boolean;
  outputShape: number[];
  outputComponent?: number;
  dispatch: [number, number, number];
}

interface StockBackend extends WebGpuBackend {
  activeTimers?: unknown;
  recordAndSubmit(
    program: StockProgram,
    output: tf.TensorInfo,
    inputs: tf.TensorInfo[],
    programDefinedUniform?: ProgramUniform[],
  ): void;
}

/**
 * The uniforms tfjs-backend-webgpu 4.22 gives a compute program (recordAndSubmit): NaN and Infinity, each input's
 * and then the output's shape and strides, the output size where the program asks for it, then the program's own.
 */
export function stockUniforms(
  program: StockProgram,
  output: tf.TensorInfo,
  inputs: tf.TensorInfo[],
  own: ProgramUniform[] = [],
): ProgramUniform[] {
  const u: ProgramUniform[] = [
    { type: 'float32', data: [NaN] },
    { type: 'float32', data: [Infinity] },
  ];
  for (const { shape } of [...inputs, output]) {
    u.push({ type: 'int32', data: shape }, { type: 'int32', data: tf.util.computeStrides(shape) });
  }
  if (program.size) {
    const size = tf.util.sizeFromShape(program.outputShape);
    u.push({ type: 'int32', data: [program.outputComponent ? size / program.outputComponent : size] });
  }
  return [...u, ...own];
}

/**
 * Packs uniforms into the bytes tfjs's own makeUniforms writes (its WGSL alignment rules), captured, not re-derived:
 * makeUniforms runs on a stand-in backend whose pool and queue only hand the bytes back. Like tfjs, it replaces an
 * empty member's data with [1].
 */
function stockPacker(backend: object): (uniforms: ProgramUniform[]) => ArrayBuffer {
  const makeUniforms = (Object.getPrototypeOf(backend) as { makeUniforms: (u: ProgramUniform[]) => unknown })
    .makeUniforms;
  let bytes: ArrayBuffer | undefined;
  const capture = {
    bufferManager: { acquireBuffer: () => null },
    queue: { writeBuffer: (_buffer: unknown, _offset: number, data: ArrayBuffer) => void (bytes = data) },
    uniformPendingDisposal: { push: () => 0 },
  };
  return (uniforms) => {
    makeUniforms.call(capture, uniforms);
    return bytes!;
  };
}

const isBuffer = (r: unknown) => r instanceof (globalThis as unknown as { GPUBuffer: typeof Object }).GPUBuffer;

/** Replaces the active webgpu backend's recordAndSubmit with one keeping bind groups and uniform buffers. */
export function keepStockBindGroups(): void {
  const b = tf.backend() as unknown as StockBackend;
  const stock = b.recordAndSubmit.bind(b);
  const pack = stockPacker(b);
  b.recordAndSubmit = (program, output, inputs, own) => {
    const tensors = [output, ...inputs];
    const buffers = tensors.map((t) => b.tensorMap.get(t.dataId).resource);
    const pipeline = program.pipeline;
    if (
      program.pixelsOpType != null ||
      b.activeTimers != null ||
      pipeline instanceof Promise ||
      !buffers.every(isBuffer)
    )
      return stock(program, output, inputs, own);
    const uniform = keptUniformBytes(b.device, pack(stockUniforms(program, output, inputs, own))) as object;
    const layout = () => pipeline.getBindGroupLayout(0);
    const group = keptBindGroup(b.device, pipeline, layout, [...(buffers as object[]), uniform]);
    encodeDispatch(
      b,
      program.constructor.name,
      pipeline,
      group,
      tensors.map((t) => t.dataId),
      program.dispatch,
    );
  };
}
