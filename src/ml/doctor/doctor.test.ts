// pipe doctor: the pure parts (library search, CUDA matching, allowScripts, auto's rule) on captured text and
// hand-built adapter facts, then the real report on this machine (Mesa, no NVIDIA driver, no tfjs-node).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pickAuto } from '../backend-choice.js';
import { matchLibs, parseLdconfig, parseSoname } from './cuda-libs.js';
import { cudaNeededBy, cudaProblems } from './cuda-match.js';
import { warnings, type DoctorReport } from './index.js';
import { approvedBy } from './install-scripts.js';
import { libtensorflowVersion } from './native.js';
import { isSoftwareAdapter, type AdapterFacts, type ProbeResult } from './webgpu-probe.js';

// Lines as `ldconfig -p` prints them on an Ubuntu 22.04 host with the NVIDIA driver and CUDA 12 + cuDNN 9.
const LDCONFIG = `2345 libs found in cache \`/etc/ld.so.cache'
\tlibcudnn.so.9 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.9
\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcudart.so.12
\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1
\tlibcuda.so.1 (libc6) => /usr/lib/i386-linux-gnu/libcuda.so.1
\tlibcublas.so.12 (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcublas.so.12
\tlibcublasLt.so.12 (libc6,x86-64) => /usr/local/cuda-12.4/targets/x86_64-linux/lib/libcublasLt.so.12
\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6`;

function adapter(over: Partial<AdapterFacts>): ProbeResult {
  return {
    found: true,
    adapter: {
      backend: 'vulkan',
      vendor: 'nvidia',
      architecture: 'hopper',
      device: '',
      description: 'NVIDIA H200',
      isFallbackAdapter: false,
      features: ['shader-f16', 'subgroups'],
      limits: {},
      ...over,
    },
  };
}
const llvmpipe = adapter({
  backend: 'opengl-compatibility',
  vendor: '',
  architecture: '',
  device: 'llvmpipe-llvm-15-0-6-256-bits-',
  description: 'OpenGL version 4.5 (Core Profile) Mesa 22.3.6',
  features: [],
});
const none: ProbeResult = { found: false, reason: 'no WebGPU adapter' };

describe('doctor: library search and CUDA matching', () => {
  it('parses ldconfig -p, skips 32-bit entries, and splits sonames', () => {
    const libs = matchLibs(parseLdconfig(LDCONFIG));
    expect(libs.libcuda!.map((l) => l.path)).toEqual(['/usr/lib/x86_64-linux-gnu/libcuda.so.1']);
    expect(libs.libcudart!.map((l) => l.major)).toEqual([12]);
    expect(libs.libcublasLt!.length).toBe(1);
    expect(libs.libcufft).toEqual([]);
    expect(parseSoname('libcudnn.so.8.1.0')).toEqual({ stem: 'libcudnn', major: 8 });
    expect(parseSoname('libcudart.so')).toEqual({ stem: 'libcudart', major: null });
    expect(parseSoname('README')).toBeNull();
  });

  it('says which CUDA/cuDNN libtensorflow needs and which are missing', () => {
    const libs = matchLibs(parseLdconfig(LDCONFIG));
    expect(cudaNeededBy('2.9.1')).toEqual({ cuda: 11, cudnn: 8 });
    expect(cudaNeededBy('2.15.0')).toEqual({ cuda: 12, cudnn: 8 });
    expect(cudaNeededBy('2.18.0')).toEqual({ cuda: 12, cudnn: 9 });
    // tfjs-node-gpu's own libtensorflow 2.9.1 on a CUDA 12 machine: the 11 runtime and cuDNN 8 are missing.
    expect(cudaProblems(libs, cudaNeededBy('2.9.1'))).toEqual([
      'libcudart.so.11 is needed (only major 12 found)',
      'libcublas.so.11 is needed (only major 12 found)',
      'libcudnn.so.8 is needed (only major 9 found)',
    ]);
    expect(cudaProblems(libs, cudaNeededBy('2.18.0'))).toEqual([]);
    expect(cudaProblems(matchLibs([]), null)).toEqual([
      'libcuda.so.1 (the NVIDIA driver) was not found: no NVIDIA driver is installed',
    ]);
    expect(
      libtensorflowVersion([
        'libtensorflow.so',
        'libtensorflow.so.2',
        'libtensorflow.so.2.9.1',
        'libtensorflow.so.2.15.0',
      ]),
    ).toBe('2.15.0');
  });

  it('reads npm allowScripts policies: bare names, exact versions, || lists', () => {
    expect(approvedBy({ webgpu: true }, 'webgpu', '0.6.2')).toBe(true);
    expect(approvedBy({ 'webgpu@0.6.1 || 0.6.2': true }, 'webgpu', '0.6.2')).toBe(true);
    expect(approvedBy({ 'webgpu@0.6.1': true }, 'webgpu', '0.6.2')).toBe(false);
    expect(approvedBy({ '@tensorflow/tfjs-node-gpu': true }, '@tensorflow/tfjs-node-gpu', '4.22.0')).toBe(true);
    expect(approvedBy({ webgpu: false }, 'webgpu', '0.6.2')).toBe(false);
    expect(approvedBy(undefined, 'webgpu', '0.6.2')).toBe(false);
  });
});

describe('auto: which backend it picks', () => {
  const loads = (names: string[]) =>
    Object.fromEntries(
      ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'].map((n) => [
        n,
        names.includes(n) ? { loads: true } : { loads: false, reason: `${n} missing` },
      ]),
    );

  it('prefers a working tensorflow-gpu, then webgpu on a hardware adapter', () => {
    expect(pickAuto(loads(['tensorflow-gpu', 'webgpu', 'wasm', 'cpu']), adapter({})).backend).toBe('tensorflow-gpu');
    const r = pickAuto(loads(['webgpu', 'tensorflow', 'wasm', 'cpu']), adapter({}));
    expect(r).toEqual({
      backend: 'webgpu',
      passedOver: [{ backend: 'tensorflow-gpu', reason: 'tensorflow-gpu missing' }],
    });
  });

  it('never picks a software rasteriser or a missing adapter, and says why', () => {
    const r = pickAuto(loads(['webgpu', 'wasm', 'cpu']), llvmpipe);
    expect(r.backend).toBe('wasm');
    expect(r.passedOver[1]).toEqual({
      backend: 'webgpu',
      reason: expect.stringMatching(/software rasteriser \(llvmpipe/),
    });
    expect(pickAuto(loads(['tensorflow', 'wasm']), none).backend).toBe('tensorflow');
    expect(pickAuto(loads(['wasm']), adapter({ isFallbackAdapter: true })).backend).toBe('wasm');
    expect(pickAuto(loads([]), none).backend).toBe('cpu');
  });

  it('recognises software adapters by name or by the fallback flag', () => {
    expect(isSoftwareAdapter((llvmpipe as { adapter: AdapterFacts }).adapter)).toBe(true);
    expect(
      isSoftwareAdapter({
        vendor: 'google',
        architecture: 'swiftshader',
        device: '',
        description: '',
        isFallbackAdapter: false,
      }),
    ).toBe(true);
    expect(
      isSoftwareAdapter({
        vendor: 'mesa',
        architecture: '',
        device: 'lavapipe',
        description: '',
        isFallbackAdapter: false,
      }),
    ).toBe(true);
    expect(
      isSoftwareAdapter({
        vendor: 'nvidia',
        architecture: 'hopper',
        device: '',
        description: 'NVIDIA H200',
        isFallbackAdapter: false,
      }),
    ).toBe(false);
  });
});

describe('doctor: warnings', () => {
  it('names a refused PIPE_WEBGPU_* variable and what it does to webgpu stages', () => {
    const problem = 'PIPE_WEBGPU_F16 must be "0" or "1"; got "true".';
    const bad = [{ variable: 'PIPE_WEBGPU_F16', value: 'true', problem }];
    expect(warnings([], adapter({}), bad)).toEqual([
      `${problem} Every webgpu stage on this machine stops on it until it is fixed or unset.`,
    ]);
    expect(warnings([], adapter({}), [{ variable: 'PIPE_WEBGPU_F16', value: '1' }])).toEqual([]);
  });
});

describe('pipe doctor on this machine', () => {
  it('--json reports every backend, the adapter, auto and the install scripts', () => {
    const cli = fileURLToPath(new URL('../../cli.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'doctor', '--json'], {
      encoding: 'utf8',
      timeout: 60_000,
      cwd: path.dirname(cli),
      env: { ...process.env, PIPE_WEBGPU_SUBMIT_BATCH: '64', PIPE_WEBGPU_F16: '' },
    });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const by = Object.fromEntries(report.backends.map((b) => [b.backend, b]));
    expect(Object.keys(by)).toEqual(['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu']);
    expect(by.wasm).toMatchObject({ loads: true, details: { simd: true, threads: expect.any(Number) } });
    expect((by.wasm!.details as { threads: number }).threads).toBeGreaterThanOrEqual(1);
    expect(by.cpu!.loads).toBe(true);
    // tfjs-node does not load here. Either it is absent (an old node_modules) and doctor says how to install it, or
    // `npm ci` installed it without running its install script (npm >= 11) and doctor says to approve and rebuild it.
    const tfNode = by.tensorflow!;
    expect(tfNode.loads).toBe(false);
    if (/not installed/.test(tfNode.reason!)) {
      expect(tfNode.advice).toEqual([expect.stringMatching(/npm i @tensorflow\/tfjs-node/)]);
    } else {
      expect(tfNode.reason).toMatch(/native binding is missing/);
      expect(tfNode.advice![0]).toMatch(
        /"@tensorflow\/tfjs-node": true to "allowScripts".*npm rebuild @tensorflow\/tfjs-node/,
      );
      expect(report.installScripts.find((f) => f.package === '@tensorflow/tfjs-node')).toMatchObject({
        approved: false,
        built: false,
      });
      expect(report.warnings.join('\n')).toMatch(/npm skipped the install script of @tensorflow\/tfjs-node/);
    }
    expect(report.installScripts.find((s) => s.package === 'webgpu')).toMatchObject({ built: true });
    // Whatever the adapter, auto lands on wasm here: no tfjs-node, and a CPU-only machine has at most a software adapter.
    expect(report.auto.backend).toBe('wasm');
    expect(report.webgpuVariables).toEqual([{ variable: 'PIPE_WEBGPU_SUBMIT_BATCH', value: '64' }]);
    if (report.webgpu.found) {
      expect(report.webgpu.software).toBe(true);
      expect(report.webgpu.timestampQuery).toBe(report.webgpu.adapter.features.includes('timestamp-query'));
      expect(by.webgpu!.loads).toBe(true);
    } else {
      expect(by.webgpu).toMatchObject({ loads: false, reason: expect.stringMatching(/\S/) });
    }
  }, 60_000);
});
