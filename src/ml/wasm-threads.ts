// Runs tfjs-backend-wasm's threaded-SIMD build (XNNPACK with a pthread pool) in Node. The package ships that build
// but never uses it in Node: its WASM_HAS_MULTITHREAD_SUPPORT flag returns false when IS_NODE (tensorflow/tfjs#3830),
// and its loader hands Emscripten a Blob URL for the pthread worker, which Node's worker_threads cannot start. This
// module drives the same Emscripten factory (wasm-out/tfjs-backend-wasm-threaded-simd.js) itself, through the
// factory's documented settings, and registers the result as the 'wasm' backend, so every wasm kernel and pipe's
// own ops run on it unchanged:
//   - locateFile gives the pthread worker as a data: URL (an ES module) that defines `require`/`__filename` and then
//     evaluates the package's own worker script (wasm-out/...worker.js exports it as a string);
//   - mainScriptUrlOrBlob is the factory's file, which the workers load with their importScripts shim;
//   - instantiateWasm instantiates the package's .wasm with one import changed: emscripten_num_logical_cores.
//     tfjs caps its pool at half the logical cores (it assumes two hyper-threads per core), so a 2-core machine
//     would get 1 thread; answering 2 x the requested count makes the cap the count pipe asked for.
// Nothing in node_modules is edited. The loader depends on the package's file names and glue, so it is verified
// for the versions below only (a test fails when the installed version changes); any other version, or any failure
// here, falls back to the stock single-threaded build with the reason recorded.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Worker as NodeWorker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { resetHeapPool } from './ops/heap_pool.js';
import { registerWasmKernels } from './ops/wasm_kernels.js';

/** tfjs-backend-wasm versions whose threaded build this loader was checked against. */
export const THREADED_WASM_VERIFIED = ['4.22.0'];
/** tfjs pre-spawns 8 pthread workers and caps XNNPACK's pool at 8 threads. */
export const MAX_WASM_THREADS = 8;

const PKG = '@tensorflow/tfjs-backend-wasm';
const BUILD = 'tfjs-backend-wasm-threaded-simd';
const START_TIMEOUT_MS = 60_000;
const requireHere = createRequire(import.meta.url);

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');
type Cwrap = (name: string, ret: string | null, args: string[]) => (...a: number[]) => number;

interface ThreadedModule {
  cwrap: Cwrap;
  PThread: { runningWorkers: NodeWorker[]; unusedWorkers: NodeWorker[] };
  tfjs?: Record<string, unknown>;
}

interface FactoryConfig {
  locateFile(file: string): string | URL;
  mainScriptUrlOrBlob: string;
  instantiateWasm(
    imports: { env: Record<string, unknown> },
    receive: (i: WebAssembly.Instance, m: WebAssembly.Module) => void,
  ): object;
  onAbort(what: unknown): void;
}

export interface WasmThreadsState {
  /** Threads XNNPACK runs on (1 for the stock build). */
  threads: number;
  build: 'simd' | 'threaded-simd';
  /** Why more threads were asked for but not used. */
  fallback?: string;
}

let stockFactory: ReturnType<typeof tf.findBackendFactory> | undefined;

export function installedWasmVersion(): string {
  return (requireHere(`${PKG}/package.json`) as { version: string }).version;
}

function wasmOutDir(): string {
  return path.join(path.dirname(requireHere.resolve(`${PKG}/package.json`)), 'wasm-out');
}

/** The pthread worker: an ES module (data: URLs always are) that gives the package's CommonJS worker script what it uses. */
function workerUrl(mainScript: string): URL {
  const { wasmWorkerContents } = requireHere(path.join(wasmOutDir(), `${BUILD}.worker.js`)) as {
    wasmWorkerContents: string;
  };
  // The package keeps the script in a template literal, which turned its "\n" escapes into raw newlines inside string
  // literals; tfjs's browser loader escapes them back the same way.
  const script = wasmWorkerContents.replace(/\n/g, '\\n');
  const source = [
    `import { createRequire } from 'node:module';`,
    `globalThis.require = createRequire(${JSON.stringify(mainScript)});`,
    `globalThis.__filename = ${JSON.stringify(mainScript)};`,
    `(0, eval)(${JSON.stringify(script)});`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`);
}

async function startModule(threads: number): Promise<ThreadedModule> {
  const dir = wasmOutDir();
  const mainScript = path.join(dir, `${BUILD}.js`);
  const bytes = await readFile(path.join(dir, `${BUILD}.wasm`));
  const factory = requireHere(mainScript) as (c: FactoryConfig) => Promise<ThreadedModule>;
  const worker = workerUrl(mainScript);
  return new Promise<ThreadedModule>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the threaded wasm build did not start within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    timer.unref();
    const fail = (err: unknown) => {
      clearTimeout(timer);
      reject(err instanceof Error ? err : new Error(`the threaded wasm build aborted: ${String(err)}`));
    };
    factory({
      locateFile: (file) => (file.endsWith('.worker.js') ? worker : path.join(dir, file)),
      mainScriptUrlOrBlob: mainScript,
      instantiateWasm(imports, receive) {
        imports.env.emscripten_num_logical_cores = () => 2 * threads;
        WebAssembly.instantiate(bytes, imports as WebAssembly.Imports).then((r) => receive(r.instance, r.module), fail);
        return {}; // asynchronous instantiation, as Emscripten documents for this hook
      },
      onAbort: fail,
    }).then((mod) => {
      clearTimeout(timer);
      resolve(mod);
    }, fail);
  });
}

/** A BackendWasm on the threaded build with `threads` XNNPACK threads. */
async function threadedBackend(wasm: WasmPackage, threads: number): Promise<tf.KernelBackend> {
  const mod = await startModule(threads);
  // The same bridge tfjs's own init() builds on the module.
  mod.tfjs = {
    init: mod.cwrap('init', null, []),
    initWithThreadsCount: mod.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: mod.cwrap('get_threads_count', 'number', []),
    registerTensor: mod.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: mod.cwrap('dispose_data', null, ['number']),
    dispose: mod.cwrap('dispose', null, []),
  };
  wasm.setThreadsCount(threads);
  const backend = new wasm.BackendWasm(mod as never);
  // XNNPACK's pool threads wait for work forever: unreferenced, they do not keep Node alive after the last task.
  for (const w of mod.PThread.runningWorkers) w.unref();
  // tfjs pre-spawns 8 workers, each an isolate with an instance of the module: the pool took what it needs.
  for (const w of mod.PThread.unusedWorkers) void w.terminate();
  mod.PThread.unusedWorkers = [];
  return backend;
}

/**
 * Registers the 'wasm' backend with `threads` XNNPACK threads (1: the package's stock SIMD build) and activates it.
 * Replacing a registered wasm backend disposes it, with every tensor it holds: call this before creating tensors.
 */
export async function activateWasm(threads: number): Promise<WasmThreadsState> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  registerWasmKernels();
  stockFactory ??= tf.findBackendFactory('wasm');
  const wanted = Math.max(1, Math.min(MAX_WASM_THREADS, Math.floor(threads)));
  let fallback: string | undefined;
  if (wanted > 1) {
    const version = installedWasmVersion();
    if (!THREADED_WASM_VERIFIED.includes(version)) {
      fallback = `threaded wasm is verified for ${PKG} ${THREADED_WASM_VERIFIED.join(', ')} only (installed: ${version})`;
    } else {
      try {
        // Built before it is registered: tfjs swallows a failing backend factory's error, pipe records it.
        const backend = await threadedBackend(wasm, wanted);
        replaceWasm(() => backend);
        if (await tf.setBackend('wasm')) {
          await resetHeapPool(wasm.getThreadsCount());
          return { threads: wasm.getThreadsCount(), build: 'threaded-simd' };
        }
        fallback = 'tfjs could not initialise the threaded wasm build';
      } catch (err) {
        fallback = err instanceof Error ? err.message.split('\n')[0] : String(err);
      }
    }
  }
  replaceWasm(stockFactory);
  await resetHeapPool(1);
  if (!(await tf.setBackend('wasm'))) throw new Error(`tfjs could not initialise the 'wasm' backend`);
  return { threads: wasm.getThreadsCount(), build: 'simd', ...(fallback ? { fallback } : {}) };
}

function replaceWasm(factory: ReturnType<typeof tf.findBackendFactory>): void {
  if (tf.findBackendFactory('wasm')) tf.removeBackend('wasm');
  tf.registerBackend('wasm', factory, 2);
}
