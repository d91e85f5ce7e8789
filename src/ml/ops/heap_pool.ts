// Worker threads that run pipe's JavaScript loops (Adam, big transposes: heap_loops.ts) on the threaded wasm build's
// heap, which is a SharedArrayBuffer every thread can address. XNNPACK parallelises convolutions and matrix products,
// but these loops ran on the main thread alone: about a fifth of a pix2pix 256² step at 2 threads.
//
// A job is split into one task per thread; the main thread runs the first itself and blocks (Atomics.wait) until the
// workers have run theirs. Workers never return to their event loop: each waits on a shared generation counter,
// takes its task from its port synchronously (receiveMessageOnPort), runs it and counts down. The loops run from
// their source text, so workers and main thread run the same code and a split job gives the same bits as an unsplit
// one. The workers are unreferenced, so they never keep Node alive.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { adamRange, runHeapTask, tile2d, TILE, copyRange, type HeapTask } from './heap_loops.js';

// control[0]: job generation, control[1]: workers still running, control[2]: 1 once a worker task threw.
const GEN = 0;
const PENDING = 1;
const FAILED = 2;
const WORKER_TIMEOUT_MS = 120_000;

function workerSource(): string {
  // Imports reach the loop as arguments: test runners rewrite references to imported names.
  const loop = (
    control: Int32Array,
    port: MessagePort,
    receive: typeof receiveMessageOnPort,
    run: (t: HeapTask) => void,
  ): void => {
    let seen = 0;
    for (;;) {
      Atomics.wait(control, 0, seen);
      seen = Atomics.load(control, 0);
      let got = receive(port);
      // postMessage has queued the task before the generation moved; the loop only guards against reordering.
      while (!got) got = receive(port);
      try {
        run(got.message as HeapTask);
      } catch {
        Atomics.store(control, 2, 1); // the main thread reports it; the worker stays ready for the next job
      } finally {
        Atomics.sub(control, 1, 1);
        Atomics.notify(control, 1);
      }
    }
  };
  return [
    `const { receiveMessageOnPort, workerData } = require('node:worker_threads');`,
    `const __name = (f) => f;`, // esbuild's keepNames helper, when the source ran through tsx or vitest
    `const TILE = ${TILE};`,
    ...[adamRange, tile2d, copyRange, runHeapTask].map((f) => f.toString()),
    `(${loop.toString()})(new Int32Array(workerData.control), workerData.port, receiveMessageOnPort, runHeapTask);`,
  ].join('\n');
}

export class HeapPool {
  private readonly control = new Int32Array(new SharedArrayBuffer(12));
  private readonly ports: MessagePort[] = [];
  private readonly workers: Worker[] = [];
  /** Jobs run so far (tests check that big copies and updates were split). */
  jobs = 0;

  /** A pool for `threads` threads in all: the calling thread and threads - 1 workers. */
  constructor(readonly threads: number) {
    const source = workerSource();
    for (let i = 1; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(source, {
        eval: true,
        workerData: { control: this.control.buffer, port: port2 },
        transferList: [port2],
      });
      worker.unref();
      port1.unref();
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /** Runs tasks[0] here and tasks[i] on worker i; returns when all are done. Needs exactly `threads` tasks. */
  run(tasks: HeapTask[]): void {
    if (tasks.length !== this.threads) throw new Error(`HeapPool.run: ${tasks.length} tasks for ${this.threads}`);
    const c = this.control;
    this.jobs++;
    Atomics.store(c, PENDING, this.workers.length);
    this.ports.forEach((port, i) => port.postMessage(tasks[i + 1]));
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    try {
      runHeapTask(tasks[0]!);
    } finally {
      this.awaitWorkers();
    }
    if (Atomics.exchange(c, FAILED, 0)) throw new Error('a heap worker thread failed its part of a job');
  }

  /**
   * Blocks until every worker has counted down. A job takes well under a second; a worker that died (its isolate
   * killed) would never count down, so after WORKER_TIMEOUT_MS this fails instead of hanging the stage.
   */
  private awaitWorkers(): void {
    const c = this.control;
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    for (let left = Atomics.load(c, PENDING); left > 0; left = Atomics.load(c, PENDING)) {
      const wait = deadline - Date.now();
      if (wait <= 0)
        throw new Error(`a heap worker thread did not finish its part of a job in ${WORKER_TIMEOUT_MS} ms`);
      Atomics.wait(c, PENDING, left, wait);
    }
  }

  async close(): Promise<void> {
    for (const p of this.ports) p.close();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Splits [0, n) into `parts` contiguous ranges as equal as whole numbers allow. */
export function splitRange(n: number, parts: number): Array<[number, number]> {
  return Array.from({ length: parts }, (_, i) => [Math.floor((n * i) / parts), Math.floor((n * (i + 1)) / parts)]);
}

let pool: HeapPool | undefined;

/** The pool of the active threaded wasm build, if there is one. */
export function heapPool(): HeapPool | undefined {
  return pool;
}

/** Starts a pool for `threads` threads (none for 1), closing the previous one. */
export async function resetHeapPool(threads: number): Promise<void> {
  const old = pool;
  pool = threads > 1 ? new HeapPool(threads) : undefined;
  await old?.close();
}
