// Looks for a WebGPU adapter in a child process: Dawn can block inside native code (a wedged driver), and a child
// can be killed after a timeout where an in-process call cannot. The child prints one JSON line of adapter facts.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AdapterFacts {
  /** 'vulkan' (Dawn's default backend) or 'opengl-compatibility' (Dawn's GL backend, e.g. Mesa llvmpipe via EGL). */
  backend: 'vulkan' | 'opengl-compatibility';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
}

export type ProbeResult = { found: true; adapter: AdapterFacts } | { found: false; reason: string };

/** Limits that decide which kernels fit (bindings per shader, tile sizes, buffer sizes). */
export const KEY_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
];

const PROBE = `
const dawn = await import('webgpu');
process.env.EGL_PLATFORM ??= 'surfaceless';
Object.assign(globalThis, dawn.globals);
let backend = 'vulkan';
let a = await dawn.create([]).requestAdapter();
if (!a) {
  backend = 'opengl-compatibility';
  a = await dawn.create(['backend=opengl']).requestAdapter({ featureLevel: 'compatibility' });
}
const pick = (o, keys) => Object.fromEntries(keys.map((k) => [k, o?.[k]]));
const out = a ? { found: true, adapter: {
  backend, ...pick(a.info, ['vendor', 'architecture', 'device', 'description']),
  isFallbackAdapter: Boolean(a.info?.isFallbackAdapter ?? a.isFallbackAdapter),
  features: [...a.features].sort(), limits: pick(a.limits, KEYS) } } : { found: false, reason: 'none' };
process.stdout.write(JSON.stringify(out));
process.exit(0);`;

/** Runs the probe; never throws. */
export function probeWebgpu(timeoutMs = 15_000): Promise<ProbeResult> {
  const script = `const KEYS = ${JSON.stringify(KEY_LIMITS)};\n${PROBE}`;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      // Resolve 'webgpu' from the project's node_modules, wherever the caller's cwd is.
      { cwd: path.dirname(fileURLToPath(import.meta.url)), timeout: timeoutMs, encoding: 'utf8' },
      (err, stdout, stderr) => resolve(parseProbe(err, stdout, stderr, timeoutMs)),
    );
  });
}

function parseProbe(
  err: (Error & { killed?: boolean }) | null,
  stdout: string,
  stderr: string,
  timeoutMs: number,
): ProbeResult {
  if (err?.killed)
    return {
      found: false,
      reason: `the adapter probe did not finish within ${timeoutMs / 1000} s (a wedged GPU driver?)`,
    };
  try {
    const r = JSON.parse(stdout) as ProbeResult;
    if (r.found) return r;
  } catch {
    // Not JSON: the child failed before printing; its last stderr line says why.
    const last = stderr
      .trim()
      .split('\n')
      .filter((l) => !/^Warning:/.test(l))
      .at(-1);
    if (/Cannot find (package|module) 'webgpu'/.test(stderr))
      return { found: false, reason: 'the optional `webgpu` package is not installed' };
    return {
      found: false,
      reason: last?.slice(0, 300) || `the adapter probe exited with an error (${err?.message ?? 'no output'})`,
    };
  }
  return {
    found: false,
    reason: 'no WebGPU adapter: Dawn found no Vulkan driver and no OpenGL ES/EGL driver it can use',
  };
}

const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software rasterizer|microsoft basic render/i;

/** A CPU rasteriser posing as a GPU (Mesa llvmpipe/lavapipe, SwiftShader): correct but slower than wasm. */
export function isSoftwareAdapter(
  a: Pick<AdapterFacts, 'vendor' | 'architecture' | 'device' | 'description' | 'isFallbackAdapter'>,
): boolean {
  return a.isFallbackAdapter || SOFTWARE.test([a.vendor, a.architecture, a.device, a.description].join(' '));
}
