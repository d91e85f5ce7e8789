// GPU time per program, from WebGPU timestamp queries: while a recording is on, each dispatch (pipe's kernels and
// tfjs's programs alike) runs in a compute pass of its own whose start and end the GPU stamps. This is what
// torch.profiler's CUDA table gives a PyTorch user, and what says whether a step is bound by the GPU's kernels or by
// the host: `npm run bench:gpu` prints it beside ours_s and host_s. tfjs's own tf.profile times only its programs,
// reads the GPU back after each one, and gets Dawn's timestamps rounded to 65.5 us (Dawn quantizes them unless its
// toggle timestamp_quantization is off, which backend.ts turns off).
import * as tf from '@tensorflow/tfjs-core';

/** WebGPU's largest query set: 2,048 dispatches' start and end stamps. */
const QUERIES = 4096;
const STAMP_BYTES = 8;

interface QuerySet {
  destroy(): void;
}
interface MappableBuffer {
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}
interface TimingDevice {
  features: { has(name: string): boolean };
  createQuerySet(d: { type: 'timestamp'; count: number }): QuerySet;
  createBuffer(d: { size: number; usage: number }): MappableBuffer;
}
interface TimingEncoder {
  resolveQuerySet(set: QuerySet, first: number, count: number, dst: MappableBuffer, offset: number): void;
  copyBufferToBuffer(src: unknown, srcOffset: number, dst: unknown, dstOffset: number, size: number): void;
}

/** The parts of tfjs's webgpu backend used here (kernel.ts imports this module, so not its WebGpuBackend). */
interface TimingBackend {
  device: TimingDevice;
  commandEncoder: unknown;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

interface Recording {
  device: TimingDevice;
  sets: QuerySet[];
  names: string[];
}

let recording: Recording | null = null;

/** One program's share of the recorded dispatches. */
export interface ProgramTime {
  name: string;
  count: number;
  ms: number;
}

export interface GpuTimes {
  /** Dispatches timed. */
  dispatches: number;
  /** Dispatches whose stamps are unusable (end before start: a device that runs nothing, such as Dawn's null one). */
  invalid: number;
  /** Sum of the dispatches' own times. Dispatches that the GPU overlaps count each in full. */
  busyMs: number;
  /** From the first dispatch's start to the last one's end, gaps included. */
  spanMs: number;
  /** Per program, the most time first. */
  programs: ProgramTime[];
}

const backend = () => tf.backend() as unknown as TimingBackend;

/** Why GPU times cannot be recorded on the active webgpu backend, or null when they can. */
export function gpuTimesUnavailable(): string | null {
  if (!backend().device.features.has('timestamp-query')) return 'the adapter does not offer timestamp-query';
  return null;
}

/** Starts timing every dispatch recorded from now on, until stopGpuTimes. */
export function startGpuTimes(): void {
  const why = gpuTimesUnavailable();
  if (why) throw new Error(`GPU times: ${why}`);
  if (recording) throw new Error('GPU times: a recording is already running');
  const b = backend();
  b.endComputePassEncoder(); // dispatches already in the open pass stay untimed
  recording = { device: b.device, sets: [], names: [] };
}

/**
 * The compute pass descriptor for the next dispatch, named `name`, stamping its start and end; null when no
 * recording is on. The caller ends the pass right after the dispatch.
 */
export function timedPass(name: string): object | null {
  if (!recording) return null;
  const query = recording.names.length * 2;
  const set = Math.floor(query / QUERIES);
  if (set === recording.sets.length) {
    recording.sets.push(recording.device.createQuerySet({ type: 'timestamp', count: QUERIES }));
  }
  recording.names.push(name);
  const first = query % QUERIES;
  const querySet = recording.sets[set];
  return { timestampWrites: { querySet, beginningOfPassWriteIndex: first, endOfPassWriteIndex: first + 1 } };
}

/** Ends the recording: resolves the stamps once all recorded work has run, and sums them per program. */
export async function stopGpuTimes(): Promise<GpuTimes> {
  const r = recording;
  if (!r) throw new Error('GPU times: no recording is running');
  recording = null;
  const stamps = r.names.length ? await readStamps(backend(), r) : new BigUint64Array(0);
  for (const set of r.sets) set.destroy();
  return summariseStamps(r.names, stamps);
}

const usage = () => (globalThis as unknown as { GPUBufferUsage: Record<string, number> }).GPUBufferUsage;
const MAP_READ = () => (globalThis as unknown as { GPUMapMode: { READ: number } }).GPUMapMode.READ;

async function readStamps(b: TimingBackend, r: Recording): Promise<BigUint64Array> {
  const bytes = r.names.length * 2 * STAMP_BYTES;
  const u = usage();
  const resolved = r.device.createBuffer({
    size: r.sets.length * QUERIES * STAMP_BYTES,
    usage: u.QUERY_RESOLVE! | u.COPY_SRC!,
  });
  const read = r.device.createBuffer({ size: bytes, usage: u.MAP_READ! | u.COPY_DST! });
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  const encoder = b.commandEncoder as unknown as TimingEncoder;
  r.sets.forEach((set, i) => {
    const count = Math.min(QUERIES, r.names.length * 2 - i * QUERIES);
    encoder.resolveQuerySet(set, 0, count, resolved, i * QUERIES * STAMP_BYTES);
  });
  encoder.copyBufferToBuffer(resolved, 0, read, 0, bytes);
  b.submitQueue();
  try {
    await read.mapAsync(MAP_READ());
    return new BigUint64Array(read.getMappedRange().slice(0));
  } finally {
    read.unmap();
    read.destroy();
    resolved.destroy();
  }
}

/** Per-program sums of dispatches `names[i]`, stamped at stamps[2i] (start) and stamps[2i + 1] (end), in ns. */
export function summariseStamps(names: string[], stamps: BigUint64Array): GpuTimes {
  const byName = new Map<string, ProgramTime>();
  let busy = 0n;
  let first: bigint | null = null;
  let last: bigint | null = null;
  let invalid = 0;
  names.forEach((name, i) => {
    const start = stamps[2 * i]!;
    const end = stamps[2 * i + 1]!;
    if (end < start || start === 0n) {
      invalid++;
      return;
    }
    busy += end - start;
    if (first === null || start < first) first = start;
    if (last === null || end > last) last = end;
    const p = byName.get(name) ?? { name, count: 0, ms: 0 };
    p.count++;
    p.ms += Number(end - start) / 1e6;
    byName.set(name, p);
  });
  const span = first !== null && last !== null ? Number((last as bigint) - (first as bigint)) / 1e6 : 0;
  return {
    dispatches: names.length,
    invalid,
    busyMs: Number(busy) / 1e6,
    spanMs: span,
    programs: [...byName.values()].sort((a, b) => b.ms - a.ms),
  };
}

/** The median GPU time of `f`'s dispatches over `reps` runs, after one more run that compiles their pipelines. */
export async function medianGpuMs(f: () => tf.Tensor, reps: number): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i <= reps; i++) {
    startGpuTimes();
    const y = f();
    const t = await stopGpuTimes();
    y.dispose();
    if (i > 0) ms.push(t.busyMs);
  }
  return ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
}

/** The mean per recording of several recordings (one per training step): counts and times per step. */
export function meanGpuTimes(runs: GpuTimes[]): GpuTimes {
  const n = runs.length || 1;
  const byName = new Map<string, ProgramTime>();
  for (const p of runs.flatMap((r) => r.programs)) {
    const q = byName.get(p.name) ?? { name: p.name, count: 0, ms: 0 };
    q.count += p.count / n;
    q.ms += p.ms / n;
    byName.set(p.name, q);
  }
  const mean = (f: (r: GpuTimes) => number) => runs.reduce((s, r) => s + f(r), 0) / n;
  return {
    dispatches: mean((r) => r.dispatches),
    invalid: mean((r) => r.invalid),
    busyMs: mean((r) => r.busyMs),
    spanMs: mean((r) => r.spanMs),
    programs: [...byName.values()].sort((a, b) => b.ms - a.ms),
  };
}
