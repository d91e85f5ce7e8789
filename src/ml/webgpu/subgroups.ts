// WGSL subgroups (the `subgroups` feature: subgroupAdd and friends) for pipe's reductions on webgpu. The device asks
// for the feature where the adapter offers it (features.ts). Before the kernels use it, one probe dispatch checks how
// the adapter lays subgroups out: a workgroup sum keeps one partial per subgroup at index local_invocation_index /
// subgroup_size, which holds only where each subgroup is a run of consecutive invocations starting at a multiple of
// the subgroup size. WGSL leaves that layout to the implementation; every driver we know of does it, and the probe
// turns subgroups off on one that does not.
import * as tf from '@tensorflow/tfjs-core';
import { runKernel, webgpuBackend, isWebgpu } from './kernel.js';
import { webgpuSetting } from './settings.js';

/** Whether PIPE_WEBGPU_SUBGROUPS=0 turned subgroups off (read at each use, so tests can compare both paths). */
const turnedOff = () => webgpuSetting('subgroups') === '0';

/** Per device: 'used', or why subgroups are not used. */
const verdicts = new WeakMap<object, string>();

const PROBE_WG = 256;
const PROBE = `enable subgroups;
struct U { n: u32 }
@group(0) @binding(0) var<storage, read_write> ok: array<f32>;
@group(0) @binding(1) var<uniform> u: U;
@compute @workgroup_size(${PROBE_WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(subgroup_size) sgSize: u32,
        @builtin(subgroup_invocation_id) sgLane: u32) {
  let first = subgroupBroadcastFirst(lid);
  let laidOut = sgLane == lid % sgSize && first == lid - sgLane;
  if (lid < u.n) { ok[lid] = select(0.0, 1.0, laidOut); }
}`;

interface ScopedDevice {
  pushErrorScope(filter: 'validation'): void;
  popErrorScope(): Promise<{ message: string } | null>;
  createShaderModule(d: { code: string }): unknown;
  createComputePipeline(d: { layout: 'auto'; compute: { module: unknown; entryPoint: string } }): unknown;
}

/**
 * The validation error that making a compute pipeline of `wgsl` raises, or null. Inside an error scope, so that a
 * shader this device rejects does not count as a device error: backend.ts fails every later read after one.
 */
export async function pipelineError(device: unknown, wgsl: string): Promise<string | null> {
  const d = device as ScopedDevice;
  d.pushErrorScope('validation');
  d.createComputePipeline({
    layout: 'auto',
    compute: { module: d.createShaderModule({ code: wgsl }), entryPoint: 'main' },
  });
  const error = await d.popErrorScope();
  return error ? error.message.split('\n')[0]!.slice(0, 200) : null;
}

/** A kernel with both sums the kernels use, to compile before relying on them. */
function sumsShader(): string {
  const [f, v] = [workgroupSum('f32', 64, true, 'sumF'), workgroupSum('vec2<f32>', 64, true, 'sumV')];
  return `${f.enable}
@group(0) @binding(0) var<storage, read_write> o: array<f32>;
${f.decl}${v.decl}
@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lid: u32${f.params}) {
  let a = ${f.call('1.0')};
  let b = ${v.call('vec2<f32>(1.0, 2.0)')};
  if (lid == 0u) { o[0] = a + b.x + b.y; }
}`;
}

/** Runs the layout probe: whether every subgroup is a run of consecutive invocations from a multiple of its size. */
async function laidOutInRuns(): Promise<boolean> {
  const [ok] = runKernel({
    name: 'PipeSubgroupProbe',
    wgsl: PROBE,
    inputs: [],
    outputShapes: [[PROBE_WG]],
    uniforms: [{ type: 'uint32', value: PROBE_WG }],
    workgroups: [1],
  });
  const values = await ok!.data();
  ok!.dispose();
  return values.every((v) => v === 1);
}

/**
 * Decides, once per device, whether pipe's kernels use subgroups on the active webgpu backend, and says why not
 * where they don't (recorded in the backend record). Shaders the device rejects turn subgroups off rather than
 * failing the backend.
 */
export async function probeSubgroups(): Promise<string> {
  const b = webgpuBackend();
  const known = verdicts.get(b.device);
  if (known) return known;
  let verdict = 'used';
  if (!b.device.features.has('subgroups')) verdict = 'not offered by the adapter';
  else {
    const error = (await pipelineError(b.device, PROBE)) ?? (await pipelineError(b.device, sumsShader()));
    if (error) verdict = `not used: the device rejected a subgroup shader (${error})`;
    else if (!(await laidOutInRuns())) verdict = 'not used: subgroups are not runs of consecutive invocations here';
  }
  verdicts.set(b.device, verdict);
  return verdict;
}

/** Whether pipe's kernels use subgroups now: on webgpu, probed good, and not turned off. */
export function subgroupsInUse(): boolean {
  if (!isWebgpu() || turnedOff()) return false;
  return verdicts.get(webgpuBackend().device) === 'used';
}

/** A sum over one workgroup, in WGSL, with or without subgroups. */
export interface WorkgroupSum {
  /** `enable subgroups;` or nothing: it must open the module. */
  enable: string;
  /** The workgroup array and the function. */
  decl: string;
  /** Entry-point parameters the function needs (each with a leading comma). */
  params: string;
  /** The call for `value`, in an entry point whose local_invocation_index is `lid`; every invocation gets the sum. */
  call(value: string): string;
}

type SumType = 'f32' | 'vec2<f32>';

/**
 * Sums one value per invocation over a workgroup of `wg` (a power of two). Without subgroups: the tree reduction in
 * workgroup memory (log2(wg) + 1 barriers). With them: subgroupAdd, one partial per subgroup, 2 barriers. It must
 * be called in uniform control flow (it has barriers), as the kernels do after their strided loops. The first barrier
 * keeps a second call from overwriting the array while another invocation still reads the first result. It comes
 * first rather than after that read because Mesa (llvmpipe through Dawn's OpenGL ES backend) otherwise read the
 * result after the next call's writes: batch norm's variance came out wrong there.
 */
export function workgroupSum(type: SumType, wg: number, subgroups: boolean, name = 'wgSum'): WorkgroupSum {
  const part = `${name}Part`;
  if (!subgroups) {
    return {
      enable: '',
      params: '',
      call: (v) => `${name}(${v}, lid)`,
      decl: `
var<workgroup> ${part}: array<${type}, ${wg}>;
fn ${name}(v: ${type}, lid: u32) -> ${type} {
  workgroupBarrier();
  ${part}[lid] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { ${part}[lid] += ${part}[lid + s]; }
    workgroupBarrier();
  }
  return ${part}[0];
}`,
    };
  }
  return {
    enable: 'enable subgroups;\n',
    params: ', @builtin(subgroup_size) sgSize: u32, @builtin(subgroup_invocation_id) sgLane: u32',
    call: (v) => `${name}(${v}, lid, sgSize, sgLane)`,
    decl: `
var<workgroup> ${part}: array<${type}, ${wg}>;
fn ${name}(v: ${type}, lid: u32, sgSize: u32, sgLane: u32) -> ${type} {
  let mine = subgroupAdd(v);
  workgroupBarrier();
  if (sgLane == 0u) { ${part}[lid / sgSize] = mine; }
  workgroupBarrier();
  var total = ${part}[0];
  for (var i = 1u; i < (${wg}u + sgSize - 1u) / sgSize; i += 1u) { total += ${part}[i]; }
  return total;
}`,
  };
}

/** The workgroup sum for the kernels recorded now (subgroups where in use). */
export function workgroupSumNow(type: SumType, wg: number, name?: string): WorkgroupSum {
  return workgroupSum(type, wg, subgroupsInUse(), name);
}

/** The verdict for the active webgpu device, once probed (for the backend record and tests). */
export function subgroupVerdict(): string | undefined {
  return tf.getBackend() === 'webgpu' ? verdicts.get(webgpuBackend().device) : undefined;
}
