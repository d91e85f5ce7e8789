// The doctor report as text for a terminal: one block per backend (loads or why not, and what to do), then the
// facts behind the verdicts and what `auto` picks.
import type { BackendReport, DoctorReport } from './index.js';

function backendLines(b: BackendReport): string[] {
  const head = b.loads
    ? `  ok   ${b.backend}${b.version ? ` ${b.version}` : ''}`
    : `  no   ${b.backend}: ${b.reason ?? 'does not load'}`;
  const extra =
    b.backend === 'wasm' && b.loads
      ? ` (SIMD ${b.details?.simd ? 'yes' : 'no'}, threads ${b.details?.threads ?? '?'})`
      : '';
  return [head + extra, ...(b.advice ?? []).map((a) => `         -> ${a}`)];
}

const yes = (b: boolean | undefined) => (b ? 'yes' : 'no');

function adapterLines(w: DoctorReport['webgpu']): string[] {
  if (!w.found) return [`WebGPU adapter: none (${w.reason})`];
  const a = w.adapter;
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' / ') || a.description;
  return [
    `WebGPU adapter: ${name} via ${a.backend}${w.software ? ' [software rasteriser]' : ' [hardware]'}`,
    `  ${a.description}`,
    `  shader-f16 ${yes(w.shaderF16)}, subgroups ${yes(w.subgroups)}, timestamp-query ${yes(w.timestampQuery)} ` +
      `(GPU times per program; conv_autotune needs it); features: ${a.features.join(', ') || 'none'}`,
    `  limits: ${Object.entries(a.limits)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
}

function variableLines(vars: DoctorReport['webgpuVariables']): string[] {
  const head = "PIPE_WEBGPU_* variables (each overrides a pipeline's backend_options.webgpu key here):";
  if (!vars.length) return [`${head} none set`];
  return [head, ...vars.map((v) => `  ${v.variable}=${v.value}${v.problem ? '  [refused, see Warnings]' : ''}`)];
}

function cudaLines(libs: DoctorReport['cudaLibraries']): string[] {
  const found = Object.entries(libs).filter(([, l]) => l.length);
  if (!found.length) return ['CUDA libraries: none found (ldconfig -p, LD_LIBRARY_PATH)'];
  return [
    'CUDA libraries:',
    ...found.map(([stem, l]) => `  ${stem}: ${l.map((x) => `${x.soname} (${x.path})`).join(', ')}`),
  ];
}

export function formatDoctor(r: DoctorReport): string {
  const lines = [`pipe doctor: Node ${r.node} on ${r.platform}`, '', 'Backends:'];
  for (const b of r.backends) lines.push(...backendLines(b));
  lines.push('', `auto picks: ${r.auto.backend}`);
  for (const p of r.auto.passedOver) lines.push(`  passed over ${p.backend}: ${p.reason}`);
  lines.push('', ...adapterLines(r.webgpu), '', ...variableLines(r.webgpuVariables), '');
  lines.push(...cudaLines(r.cudaLibraries), '');
  const scripts = r.installScripts.map(
    (s) =>
      `  ${s.package}: ${s.approved ? 'approved' : 'not approved'}` +
      `${s.built === null ? '' : s.built ? ', built' : ', NOT built'} (${s.script})`,
  );
  lines.push(
    'Dependencies with install scripts (npm >= 11 skips unapproved ones):',
    ...(scripts.length ? scripts : ['  none']),
  );
  if (r.warnings.length) lines.push('', 'Warnings:', ...r.warnings.map((w) => `  ! ${w}`));
  return lines.join('\n') + '\n';
}
