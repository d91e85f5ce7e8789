// Chooses and initialises the TensorFlow.js backend. The native backends (tfjs-node, tfjs-node-gpu) and webgpu are
// optional packages that may be missing or fail to load (no libtensorflow, no GPU driver), so every backend is
// imported lazily and a failure is recorded as a reason rather than thrown, except when the user asked for it by name
// or set it up wrong (a refused PIPE_WEBGPU_* variable).
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, ConcreteBackend } from '../core/backends.js';
import { isUserFacing, UserError } from '../core/errors.js';
import './ops/register_gradients.js';
import { AUTO_CANDIDATES, webgpuVerdict } from './backend-choice.js';
import { probeWebgpu } from './doctor/webgpu-probe.js';
import { orderBufferPool } from './webgpu/buffer-order.js';
import { hookDispatchCounter } from './webgpu/dispatches.js';
import { keepStockBindGroups } from './webgpu/stock-programs.js';
import { resetConvTuning } from './webgpu/conv-autotune.js';
import { requestOptionalFeatures, type GpuLike } from './webgpu/features.js';
import { applyWebgpuSettings } from './webgpu/in-force.js';
import { useWebgpuOptions, type WebgpuOptions } from './webgpu/settings.js';

export type { ConcreteBackend } from '../core/backends.js';
/** What a stage asks for: a backend name, or auto. */
export type BackendRequest = BackendName;

export interface BackendFallback {
  backend: ConcreteBackend;
  reason: string;
}

export interface BackendInfo {
  /** What the user asked for. */
  requested: BackendRequest;
  /** The pipe name of the backend in use (tfjs registers both native ones as 'tensorflow'). */
  name: ConcreteBackend;
  /** tfjs backend name as registered with the engine. */
  tfjsBackend: string;
  /** Version of the package providing the backend. */
  version: string;
  /** WebAssembly SIMD in use (wasm only; null where it does not apply). */
  simd: boolean | null;
  /** Compute threads the backend uses, when known. */
  threads: number | null;
  /** Backends tried before this one, each with why it was skipped. */
  fallbacks: BackendFallback[];
  /** Extra facts (GPU adapter, ...). */
  details?: Record<string, unknown>;
}

/**
 * Order tried by `auto` (backend-choice.ts): webgpu only on a hardware adapter, because on machines without a GPU
 * driver Dawn runs on a software rasteriser that is slower than wasm.
 */
export const AUTO_ORDER: ConcreteBackend[] = AUTO_CANDIDATES;

const INSTALL_HINT: Record<ConcreteBackend, string> = {
  'tensorflow-gpu':
    'install it with `npm i @tensorflow/tfjs-node-gpu` and approve its install script (it downloads libtensorflow 2.9.1, ' +
    'built for CUDA 11.2 / cuDNN 8.1; for CUDA 12 see docs/gpu.md); `pipe doctor` says what is missing',
  tensorflow:
    'install it with `npm i @tensorflow/tfjs-node` (it downloads libtensorflow during install and needs network access)',
  webgpu:
    'install `webgpu` and `@tensorflow/tfjs-backend-webgpu` (`npm i webgpu @tensorflow/tfjs-backend-webgpu`) and make sure a Vulkan (or OpenGL ES) driver is present',
  wasm: 'reinstall the project dependencies (`npm ci`): @tensorflow/tfjs-backend-wasm and its .wasm files should be in node_modules',
  cpu: 'reinstall the project dependencies (`npm ci`)',
};

const requireHere = createRequire(import.meta.url);

function packageVersion(pkg: string): string {
  try {
    return (requireHere(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].slice(0, 300);
}

async function activate(tfjsName: string): Promise<void> {
  const ok = await tf.setBackend(tfjsName);
  if (!ok) throw new Error(`tfjs could not initialise the '${tfjsName}' backend`);
  await tf.ready();
}

async function loadNative(pkg: string, name: ConcreteBackend): Promise<BackendInfo> {
  // tfjs-node registers a backend called 'tensorflow' as a side effect of being imported.
  // eslint-disable-next-line no-restricted-syntax -- an optional npm package (tfjs-node or -gpu), not a pipe module
  await import(pkg);
  await activate('tensorflow');
  return base(name, 'tensorflow', packageVersion(pkg), null, null);
}

/** Folder holding the .wasm binaries, as a file path (Node's fetch cannot read file:// URLs, the loader reads files). */
export function wasmBinaryDir(): string {
  const entry = requireHere.resolve('@tensorflow/tfjs-backend-wasm');
  // entry is .../tfjs-backend-wasm/dist/tf-backend-wasm.node.js (or similar) inside dist/
  return path.dirname(entry) + path.sep;
}

let wasmPathsSet = false;

async function loadWasm(threads: number): Promise<BackendInfo> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet) wasm.setWasmPaths(wasmBinaryDir());
  wasmPathsSet = true;
  // The stock package runs XNNPACK on the calling thread in Node; wasm-threads.ts loads its threaded build.
  const { activateWasm } = await import('./wasm-threads.js');
  const state = await activateWasm(threads);
  await tf.ready();
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) || state.build === 'threaded-simd';
  return base('wasm', 'wasm', packageVersion('@tensorflow/tfjs-backend-wasm'), simd, state.threads, {
    build: state.build,
    threadsRequested: threads,
    ...(state.fallback ? { threadsFallback: state.fallback } : {}),
  });
}

async function loadCpu(): Promise<BackendInfo> {
  await import('@tensorflow/tfjs-backend-cpu');
  await activate('cpu');
  // tfjs-backend-cpu prints an advert for tfjs-node on first use; pipe already reports the backend it chose.
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return base('cpu', 'cpu', packageVersion('@tensorflow/tfjs-backend-cpu'), null, 1);
}

type Dawn = { create(flags: string[]): GpuLike; globals: Record<string, unknown> };

/** Dawn's GPU object and which kind of adapter it gives. */
async function dawnGpu(dawn: Dawn): Promise<{ gpu: GpuLike; adapterKind: string }> {
  // Dawn rounds timestamp queries to 65.5 us (a browser's guard against timing attacks), coarser than most of a
  // step's dispatches: GPU times per program (webgpu/gpu-times.ts) need them whole.
  const create = (flags: string[]) => dawn.create([...flags, 'disable-dawn-features=timestamp_quantization']);
  // PIPE_WEBGPU_NULL_DEVICE=1 (bench/gpu/step.ts --null-device): Dawn's null backend records and validates every
  // command and runs none, so the time a step takes is the host's alone, without a rasteriser competing for the CPU.
  if (process.env.PIPE_WEBGPU_NULL_DEVICE === '1') {
    return { gpu: create(['backend=null']), adapterKind: 'null (runs nothing: host timing only)' };
  }
  const gpu = create([]);
  if (await gpu.requestAdapter()) return { gpu, adapterKind: 'default' };
  // No Vulkan adapter Dawn accepts (Debian's lavapipe is refused): Dawn's OpenGL backend in compatibility mode.
  const compat = create(['backend=opengl']);
  const request = compat.requestAdapter.bind(compat);
  compat.requestAdapter = (options?: Record<string, unknown>) => request({ ...options, featureLevel: 'compatibility' });
  return { gpu: compat, adapterKind: 'opengl-compatibility' };
}

/** pipe's changes to the tfjs webgpu backend just activated (each module says why). */
function adaptWebgpuBackend(): void {
  chunkAddN();
  failReadsAfterDeviceError();
  keepStockBindGroups(); // before the counter, which wraps it
  hookDispatchCounter();
  orderBufferPool();
}

async function loadWebgpu(): Promise<BackendInfo> {
  // The npm `webgpu` package is Dawn for Node. tfjs-backend-webgpu checks `navigator.gpu` when it is imported, so the
  // global must exist first. Software renderers (Mesa llvmpipe) only offer a 'compatibility' adapter: retry with it.
  const webgpuPkg = 'webgpu';
  // eslint-disable-next-line no-restricted-syntax -- optional npm package; a variable keeps tsc from requiring it
  const dawn = (await import(webgpuPkg)) as Dawn;
  if (!process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
  Object.assign(globalThis, dawn.globals);
  const { gpu, adapterKind } = await dawnGpu(dawn);
  requestOptionalFeatures(gpu);
  // navigator.gpu is also what keeps Dawn's instance alive: once collected, its devices' event processing breaks
  // (seen as a crash in InstanceBase::ProcessEvents during mapAsync, with SwiftShader).
  const nav = (globalThis as unknown as { navigator?: Record<string, unknown> }).navigator;
  if (nav) {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  const adapter = (await gpu.requestAdapter()) as { info?: Record<string, unknown> } | null;
  if (!adapter) throw new Error('no WebGPU adapter found (no Vulkan/OpenGL driver Dawn can use)');
  const backendPkg = '@tensorflow/tfjs-backend-webgpu';
  // eslint-disable-next-line no-restricted-syntax -- optional npm package; a variable keeps tsc from requiring it
  await import(backendPkg);
  await activate('webgpu');
  adaptWebgpuBackend();
  resetConvTuning(); // choices belong to a device
  const settings = await applyWebgpuSettings();
  // GPUAdapterInfo's fields are prototype getters: copy them by name (e.g. vendor 'mesa', device 'llvmpipe ...').
  const facts = Object.fromEntries(
    ['vendor', 'architecture', 'device', 'description']
      .map((k) => [k, adapter.info?.[k]])
      .filter(([, v]) => typeof v === 'string' && v !== ''),
  );
  return base('webgpu', 'webgpu', packageVersion(backendPkg), null, null, {
    adapter: adapterKind,
    ...(Object.keys(facts).length ? { adapterInfo: facts } : {}),
    dawn: packageVersion(webgpuPkg),
    ...settings,
  });
}

/**
 * tfjs-backend-webgpu's AddN binds every input as a storage buffer, and a pipeline with more than the device's
 * maxStorageBuffersPerShaderStage (8 in compatibility mode) is invalid: Dawn reports a validation error and the sum
 * is garbage. The engine adds up to 16 taps (4x4 col2im), so sums of many inputs go through the stock kernel in chunks.
 */
function chunkAddN(): void {
  const stock = tf.getKernel('AddN', 'webgpu');
  const device = (tf.backend() as unknown as { device?: { limits?: { maxStorageBuffersPerShaderStage?: number } } })
    .device;
  const limit = (device?.limits?.maxStorageBuffersPerShaderStage ?? 8) - 1; // one binding is the output
  if (!stock || limit < 2) return;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({
    ...stock,
    kernelFunc: (args) => {
      let level = args.inputs as unknown as tf.TensorInfo[];
      if (level.length <= limit) return stock.kernelFunc(args);
      const temps: tf.TensorInfo[] = [];
      while (level.length > limit) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < level.length; i += limit) {
          const chunk = level.slice(i, i + limit);
          if (chunk.length === 1) {
            next.push(chunk[0]!);
            continue;
          }
          const sum = stock.kernelFunc({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
          temps.push(sum);
          next.push(sum);
        }
        level = next;
      }
      const out = stock.kernelFunc({ ...args, inputs: level as unknown as tf.NamedTensorInfoMap });
      // The webgpu backend defers freeing buffers still referenced by queued commands.
      for (const t of temps) (args.backend as tf.KernelBackend).disposeData(t.dataId);
      return out;
    },
  });
}

/**
 * Dawn reports an invalid pipeline or command as an uncaptured error and carries on, so every result after it may be
 * garbage; tfjs ignores these events. Record the first one and make the next read (every read in pipe is async: loss
 * terms, samples, evaluation) reject with it, so a stage fails with the cause instead of training on wrong numbers.
 */
function failReadsAfterDeviceError(): void {
  const backend = tf.backend() as unknown as {
    device?: { addEventListener?(type: string, listener: (e: { error?: { message?: string } }) => void): void };
    read(dataId: object): Promise<unknown>;
  };
  if (!backend.device?.addEventListener) return;
  let first: string | undefined;
  backend.device.addEventListener('uncapturederror', (e) => {
    first ??= String(e.error?.message ?? 'unknown error').split('\n')[0];
  });
  const read = backend.read.bind(backend);
  backend.read = async (dataId) => {
    const values = await read(dataId);
    if (first) throw new Error(`the WebGPU device reported an error, so results are unreliable: ${first}`);
    return values;
  };
}

function base(
  name: ConcreteBackend,
  tfjsBackend: string,
  version: string,
  simd: boolean | null,
  threads: number | null,
  details?: Record<string, unknown>,
): BackendInfo {
  return { requested: name, name, tfjsBackend, version, simd, threads, fallbacks: [], ...(details ? { details } : {}) };
}

export interface BackendOptions {
  /**
   * Compute threads for the wasm backend (default 1); the other backends choose their own. pipe's runtime passes
   * the resolved setting (--threads, PIPE_THREADS, backend_options.threads, else cores / --jobs).
   */
  threads?: number;
  /** The pipeline's backend_options.webgpu (webgpu/settings.ts); each PIPE_WEBGPU_* variable overrides its key. */
  webgpu?: WebgpuOptions;
}

const LOADERS: Record<ConcreteBackend, (o: BackendOptions) => Promise<BackendInfo>> = {
  'tensorflow-gpu': () => loadNative('@tensorflow/tfjs-node-gpu', 'tensorflow-gpu'),
  tensorflow: () => loadNative('@tensorflow/tfjs-node', 'tensorflow'),
  webgpu: loadWebgpu,
  wasm: (o) => loadWasm(o.threads ?? 1),
  cpu: loadCpu,
};

let current: BackendInfo | undefined;
// A backend package initialises once per process (setWasmPaths refuses a second call): later requests reuse it.
const loaded = new Map<ConcreteBackend, BackendInfo>();

/** The backend chosen by the last successful initBackend call in this process. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

async function load(name: ConcreteBackend, opts: BackendOptions): Promise<BackendInfo> {
  const known = loaded.get(name);
  // wasm with another thread count is a new instance (threads are fixed when XNNPACK's pool is made).
  const sameThreads = name !== 'wasm' || known?.details?.threadsRequested === (opts.threads ?? 1);
  if (known && sameThreads) {
    await activate(known.tfjsBackend);
    if (name !== 'webgpu') return known;
    // This stage's settings, which may differ from those the backend was loaded with.
    const again = { ...known, details: { ...known.details, ...(await applyWebgpuSettings()) } };
    loaded.set(name, again);
    return again;
  }
  // Replacing wasm disposes its instance: free the filters frozenConv2d keeps while their backend still can.
  if (known) (await import('./ops/frozen_conv2d.js')).disposeFrozenFilters();
  const info = await LOADERS[name](opts);
  loaded.set(name, info);
  return info;
}

/**
 * Loads and activates a backend. `auto` tries tensorflow-gpu, webgpu (hardware adapter only), tensorflow, wasm, cpu
 * in turn and records why each
 * skipped one failed; a backend requested by name that cannot load is a user error naming what to install.
 */
export async function initBackend(requested: BackendRequest = 'auto', opts: BackendOptions = {}): Promise<BackendInfo> {
  if (requested !== 'auto' && !(requested in LOADERS)) {
    throw new UserError(
      'PIPE_BACKEND_UNKNOWN',
      `Unknown backend '${requested}'. Use one of: auto, ${Object.keys(LOADERS).join(', ')}.`,
      2,
    );
  }
  useWebgpuOptions(opts.webgpu);
  const order = requested === 'auto' ? AUTO_ORDER : [requested];
  const fallbacks: BackendFallback[] = [];
  for (const name of order) {
    if (requested === 'auto' && name === 'webgpu') {
      const skip = await webgpuSkipReason();
      if (skip) {
        fallbacks.push({ backend: name, reason: skip });
        continue;
      }
    }
    try {
      const info = await load(name, opts);
      current = { ...info, requested, fallbacks };
      return current;
    } catch (err) {
      // A setting the user got wrong (a PIPE_WEBGPU_* variable) is theirs to fix, not a reason to fall back.
      if (isUserFacing(err)) throw err;
      const reason = errorText(err);
      if (requested !== 'auto') {
        throw new UserError(
          'PIPE_BACKEND_UNAVAILABLE',
          `The '${name}' backend could not be loaded (${reason}). To use it, ${INSTALL_HINT[name]}; ` +
            `or choose another with --backend (or the pipeline's \`backend:\` key): auto picks the first that loads ` +
            `(${AUTO_ORDER.join(' -> ')}, webgpu only on a hardware adapter). \`pipe doctor\` diagnoses every backend.`,
        );
      }
      fallbacks.push({ backend: name, reason });
    }
  }
  // cpu ships with the project, so reaching here means the install itself is broken.
  throw new UserError(
    'PIPE_BACKEND_UNAVAILABLE',
    `No TensorFlow.js backend could be loaded: ${fallbacks.map((f) => `${f.backend}: ${f.reason}`).join('; ')}. ` +
      `Reinstall the project dependencies with \`npm ci\`.`,
  );
}

/** The adapter does not change within a process, so `auto` probes it (a child process) at most once. */
let webgpuVerdictOnce: Promise<ReturnType<typeof webgpuVerdict>> | undefined;

/** Why `auto` should not try webgpu here (package missing, no adapter, software adapter), or null to try it. */
async function webgpuSkipReason(): Promise<string | null> {
  if (loaded.has('webgpu')) return null;
  try {
    requireHere.resolve('webgpu');
  } catch {
    return 'the optional `webgpu` package is not installed';
  }
  webgpuVerdictOnce ??= probeWebgpu().then(webgpuVerdict);
  const v = await webgpuVerdictOnce;
  return v.use ? null : v.reason;
}

/** Summary for stage.json and logs. */
export function describeBackend(info: BackendInfo): Record<string, unknown> {
  return { ...info };
}
