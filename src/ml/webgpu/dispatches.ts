// Counts compute dispatches on the webgpu backend: every stock tfjs program goes through the backend's
// recordAndSubmit (one dispatchWorkgroups each), and pipe's own kernels report theirs through noteDispatch. The
// bench prints dispatches per training step; each dispatch costs JS work, a bind group and a uniform buffer.
// Buffer-to-buffer copies that pipe records (webgpu/copies.ts) are counted apart: they are commands too, but need
// no pipeline, bind group or uniform. tfjs's own upload copies (staging buffers) are not counted.
import * as tf from '@tensorflow/tfjs-core';

const byProgram = new Map<string, number>();
let total = 0;
let copies = 0;
const hooked = new WeakSet<object>();

/** Records one dispatch of a kernel of pipe's own (the stock ones are counted by the hook). */
export function noteDispatch(name: string, count = 1): void {
  total += count;
  byProgram.set(name, (byProgram.get(name) ?? 0) + count);
}

/** Records `count` buffer-to-buffer copies recorded by pipe. */
export function noteCopies(count: number): void {
  copies += count;
}

interface RecordingBackend {
  recordAndSubmit(program: object, ...rest: unknown[]): unknown;
}

/** Wraps the active webgpu backend's recordAndSubmit once; a no-op on other backends. */
export function hookDispatchCounter(): void {
  if (tf.getBackend() !== 'webgpu') return;
  const backend = tf.backend() as unknown as RecordingBackend;
  if (hooked.has(backend) || typeof backend.recordAndSubmit !== 'function') return;
  hooked.add(backend);
  const record = backend.recordAndSubmit.bind(backend);
  backend.recordAndSubmit = (program, ...rest) => {
    noteDispatch(program.constructor.name);
    return record(program, ...rest);
  };
}

export interface DispatchCount {
  total: number;
  byProgram: Record<string, number>;
  /** pipe's buffer-to-buffer copies (not in total). */
  copies: number;
}

/** Dispatches since the process started (or the last reset). */
export function dispatchCount(): DispatchCount {
  return { total, byProgram: Object.fromEntries([...byProgram].sort((a, b) => b[1] - a[1])), copies };
}

export function resetDispatchCount(): void {
  total = 0;
  copies = 0;
  byProgram.clear();
}

/** Dispatches made by `f` (awaited), with the per-program breakdown. */
export async function countDispatches<T>(f: () => Promise<T> | T): Promise<{ result: T; dispatches: DispatchCount }> {
  const before = dispatchCount();
  const result = await f();
  const after = dispatchCount();
  const diff: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.byProgram)) {
    const d = v - (before.byProgram[k] ?? 0);
    if (d) diff[k] = d;
  }
  return {
    result,
    dispatches: { total: after.total - before.total, byProgram: diff, copies: after.copies - before.copies },
  };
}
