// `pipe doctor`: for every backend, whether it loads here and if not why and what to do, plus the facts behind it
// (native binding and libtensorflow, CUDA libraries, the WebGPU adapter, wasm SIMD/threads, skipped install
// scripts) and the backend `auto` picks.
import { initBackend, type BackendRequest } from '../backend.js';
import { pickAuto, type ConcreteBackendName, type LoadOutcome } from '../backend-choice.js';
import { findCudaLibs, type FoundLib } from './cuda-libs.js';
import { cudaNeededBy, cudaProblems } from './cuda-match.js';
import { installScriptFacts, type InstallScriptFact } from './install-scripts.js';
import { nativeFacts, type NativeFacts } from './native.js';
import { webgpuVariables } from '../webgpu/settings.js';
import { isSoftwareAdapter, probeWebgpu, type ProbeResult } from './webgpu-probe.js';

export interface BackendReport extends LoadOutcome {
  backend: ConcreteBackendName;
  version?: string;
  /** What to do to make it load (or work better), when there is something. */
  advice?: string[];
  details?: Record<string, unknown>;
}

export interface DoctorReport {
  node: string;
  platform: string;
  backends: BackendReport[];
  auto: ReturnType<typeof pickAuto>;
  cudaLibraries: Record<string, FoundLib[]>;
  webgpu: ProbeResult & { software?: boolean; shaderF16?: boolean; subgroups?: boolean; timestampQuery?: boolean };
  /** The PIPE_WEBGPU_* variables set here (they override pipelines' backend_options.webgpu), and why one is refused. */
  webgpuVariables: ReturnType<typeof webgpuVariables>;
  installScripts: InstallScriptFact[];
  /** Sentences worth a user's attention (skipped install scripts, software adapter, ...). */
  warnings: string[];
}

async function tryLoad(
  name: ConcreteBackendName,
): Promise<LoadOutcome & { version?: string; simd?: boolean | null; threads?: number | null }> {
  try {
    const info = await initBackend(name as BackendRequest);
    return { loads: true, version: info.version, simd: info.simd, threads: info.threads };
  } catch (err) {
    // initBackend's message is a user error with an install hint; keep the cause in parentheses.
    const text = err instanceof Error ? err.message : String(err);
    return { loads: false, reason: /could not be loaded \((.*?)\)\. To use it/.exec(text)?.[1] ?? text.split('\n')[0] };
  }
}

function nativeAdvice(f: NativeFacts, gpu: boolean, libs: Record<string, FoundLib[]>): string[] {
  if (!f.installed) return [`not installed: \`npm i ${f.package}\`${gpu ? ' (see docs/gpu.md for CUDA 12)' : ''}`];
  const out: string[] = [];
  if (!f.binding || !f.libtensorflow.length) {
    out.push(
      `its install script did not run (no ${!f.binding ? 'tfjs_binding.node' : 'libtensorflow in deps/lib'}): ` +
        `add "${f.package}": true to "allowScripts" in package.json (or \`npm approve-scripts\`), then \`npm rebuild ${f.package}\``,
    );
  }
  if (gpu && f.libtensorflowVersion) {
    for (const p of cudaProblems(libs, cudaNeededBy(f.libtensorflowVersion)))
      out.push(`libtensorflow ${f.libtensorflowVersion}: ${p}`);
    if (cudaNeededBy(f.libtensorflowVersion)?.cuda === 11 && (libs.libcudart ?? []).some((l) => (l.major ?? 0) >= 12)) {
      out.push('this machine has CUDA 12: put a CUDA 12 libtensorflow (2.15 or later) in deps/lib (docs/gpu.md)');
    }
  }
  return out;
}

function webgpuFacts(probe: ProbeResult): DoctorReport['webgpu'] {
  if (!probe.found) return probe;
  const f = probe.adapter.features;
  return {
    ...probe,
    software: isSoftwareAdapter(probe.adapter),
    shaderF16: f.includes('shader-f16'),
    subgroups: f.includes('subgroups'),
    timestampQuery: f.includes('timestamp-query'),
  };
}

export async function runDoctor(): Promise<DoctorReport> {
  const [libs, probe] = await Promise.all([findCudaLibs(), probeWebgpu()]);
  const webgpu = webgpuFacts(probe);
  const backends: BackendReport[] = [];
  for (const [name, pkg] of [
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
    ['tensorflow', '@tensorflow/tfjs-node'],
  ] as const) {
    const facts = nativeFacts(pkg);
    const l =
      facts.installed && facts.binding
        ? await tryLoad(name)
        : { loads: false, reason: facts.installed ? 'its native binding is missing' : `${pkg} is not installed` };
    const advice = nativeAdvice(facts, name === 'tensorflow-gpu', libs);
    backends.push({ backend: name, ...l, ...(advice.length ? { advice } : {}), details: { ...facts } });
  }
  const wg: LoadOutcome & { version?: string } = probe.found
    ? await tryLoad('webgpu')
    : { loads: false, reason: probe.reason };
  const wgAdvice = !probe.found
    ? [
        "install a Vulkan driver (NVIDIA: the driver's Vulkan ICD; Mesa: mesa-vulkan-drivers) or EGL + Mesa (libegl1 libegl-mesa0 libgl1-mesa-dri)",
      ]
    : webgpu.software
      ? ['this adapter is a CPU rasteriser: fine for tests, slower than wasm for training; auto does not pick it']
      : [];
  backends.push({ backend: 'webgpu', ...wg, ...(wgAdvice.length ? { advice: wgAdvice } : {}) });
  const wasm = await tryLoad('wasm');
  backends.push({ backend: 'wasm', ...wasm, details: { simd: wasm.simd ?? null, threads: wasm.threads ?? null } });
  backends.push({ backend: 'cpu', ...(await tryLoad('cpu')) });
  const installScripts = installScriptFacts();
  const variables = webgpuVariables();
  const loads = Object.fromEntries(backends.map((b) => [b.backend, { loads: b.loads, reason: b.reason }]));
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    backends,
    auto: pickAuto(loads, probe),
    cudaLibraries: libs,
    webgpu,
    installScripts,
    webgpuVariables: variables,
    warnings: warnings(installScripts, webgpu, variables),
  };
}

export function warnings(
  scripts: InstallScriptFact[],
  webgpu: DoctorReport['webgpu'],
  variables: DoctorReport['webgpuVariables'],
): string[] {
  const out = scripts
    .filter((s) => s.built === false)
    .map((s) => `npm skipped the install script of ${s.package}: ${s.advice}`);
  if (webgpu.found && webgpu.software)
    out.push(`the WebGPU adapter is a software rasteriser (${webgpu.adapter.device}): no GPU driver is in use`);
  for (const v of variables.filter((x) => x.problem))
    out.push(`${v.problem} Every webgpu stage on this machine stops on it until it is fixed or unset.`);
  return out;
}
