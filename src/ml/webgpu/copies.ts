// Moves float32 data between tensors and ranges of a flat tensor with buffer-to-buffer copies recorded in the tfjs
// webgpu backend's command encoder, so they run in queue order with the dispatches around them. A copy is a command,
// not a compute dispatch: no pipeline, bind group or uniform buffer. Only the flat tensor of gatherInto is written
// in place; sliceOut writes fresh tensors, so no tensor that shares storage with another is ever changed.
import * as tf from '@tensorflow/tfjs-core';
import { noteCopies } from './dispatches.js';
import { webgpuBackend, type WebGpuBackend } from './kernel.js';

const F32 = 4;

/** A float32 tensor with GPU storage of its own and undefined contents. */
export function freshTensor(shape: number[]): tf.Tensor {
  const b = webgpuBackend();
  const info = b.makeTensorInfo(shape, 'float32');
  b.uploadToGPU(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** The encoder with no compute pass open (copies must be recorded outside passes). */
function encoderFor(b: WebGpuBackend) {
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  return b.commandEncoder!;
}

function bufferOf(b: WebGpuBackend, t: tf.Tensor): unknown {
  if (t.dtype !== 'float32') throw new Error(`webgpu copy: tensor of dtype ${t.dtype}, expected float32`);
  b.uploadToGPU(t.dataId);
  // The backend frees a buffer used by recorded-but-unsubmitted commands only after the next submit.
  b.commandQueueOwnedIds.add(t.dataId);
  return b.tensorMap.get(t.dataId).resource;
}

/** Copies each source tensor, whole, into `flat` starting at its element offset. */
export function gatherInto(flat: tf.Tensor, parts: { src: tf.Tensor; offset: number }[]): void {
  if (!parts.length) return;
  const b = webgpuBackend();
  const dst = bufferOf(b, flat);
  // Uploads (which may record copies of their own) happen before any copy of ours is recorded.
  const srcs = parts.map((p) => bufferOf(b, p.src));
  const enc = encoderFor(b);
  parts.forEach((p, i) => {
    if (p.offset + p.src.size > flat.size) throw new Error(`gatherInto: ${p.src.size} elements at ${p.offset} overrun`);
    if (p.src.size) enc.copyBufferToBuffer(srcs[i], 0, dst, p.offset * F32, p.src.size * F32);
  });
  noteCopies(parts.filter((p) => p.src.size).length);
}

/** New tensors of the given shapes, each holding `flat`'s elements from its offset on. */
export function sliceOut(flat: tf.Tensor, parts: { offset: number; shape: number[] }[]): tf.Tensor[] {
  const b = webgpuBackend();
  const src = bufferOf(b, flat);
  const outs = parts.map((p) => freshTensor(p.shape));
  const dsts = outs.map((t) => bufferOf(b, t));
  const enc = encoderFor(b);
  outs.forEach((t, i) => {
    const offset = parts[i]!.offset;
    if (offset + t.size > flat.size) throw new Error(`sliceOut: ${t.size} elements at ${offset} overrun`);
    if (t.size) enc.copyBufferToBuffer(src, offset * F32, dsts[i], 0, t.size * F32);
  });
  noteCopies(outs.filter((t) => t.size).length);
  return outs;
}
