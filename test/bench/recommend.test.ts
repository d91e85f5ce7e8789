// bench:gpu's recommendation: a setting goes into the pipeline block only if it beat the defaults on every config
// it was tried on, by more than noise; f16 is reported apart, since it changes results.
import { describe, expect, it } from 'vitest';
import { asYaml, recommend, type Timed } from '../../bench/gpu/recommend.js';

const A = 'pix2pix-256-ngf64';
const B = 'cyclegan-256-resnet9';
const P = 'pix2pix-256-ngf64-perceptual';
const line = (config: string, ours_s: number | null, variant?: string): Timed => ({
  config,
  ours_s,
  ...(variant ? { variant } : {}),
});

describe('bench:gpu recommendation', () => {
  it('keeps what is faster everywhere it ran, and nothing that is slower anywhere or within noise', () => {
    const r = recommend([
      line(A, 0.04),
      line(B, 0.1),
      line(A, 0.03, 'PIPE_WEBGPU_CONV_AUTOTUNE=1'),
      line(B, 0.09, 'PIPE_WEBGPU_CONV_AUTOTUNE=1'),
      line(A, 0.0395, 'PIPE_WEBGPU_SUBMIT_BATCH=64'), // 1.25 % faster: noise
      line(A, 0.035, 'PIPE_WEBGPU_F16=1'),
      line(A, 0.05, 'PIPE_WEBGPU_KERNELS=stock'),
    ]);
    expect(r.webgpu).toEqual({ conv_autotune: true });
    expect(r.also_faster_changes_results).toEqual({ f16: true });
    expect(r.speedups).toEqual({
      conv_autotune: { [A]: 0.75, [B]: 0.9 },
      submit_batch: { [A]: 0.988 },
      f16: { [A]: 0.875 },
      kernels: { [A]: 1.25 },
    });
    expect(asYaml(r)).toBe('backend_options:\n  webgpu: { conv_autotune: true }');
  });

  it('drops a setting slower on one config, and variants without a time or a default to compare with', () => {
    const r = recommend([
      line(A, 0.04),
      line(B, null),
      line(A, 0.03, 'PIPE_WEBGPU_CONV_AUTOTUNE=1'),
      line(B, 0.09, 'PIPE_WEBGPU_CONV_AUTOTUNE=1'), // no default time for B: not counted
      line(A, null, 'PIPE_WEBGPU_SUBGROUPS=0'),
      line(P, 0.1),
      line(A, 0.03, 'PIPE_WEBGPU_BACKBONE_CONV=pipe'),
      line(P, 0.2, 'PIPE_WEBGPU_BACKBONE_CONV=pipe'), // faster on A, twice as slow on P: out
    ]);
    expect(r.speedups).toEqual({ conv_autotune: { [A]: 0.75 }, backbone_conv: { [A]: 0.75, [P]: 2 } });
    expect(r.webgpu).toEqual({ conv_autotune: true });
    expect(asYaml(recommend([line(A, 0.04), line(A, 0.05, 'PIPE_WEBGPU_KERNELS=stock')]))).toMatch(/^# no setting/);
  });
});
