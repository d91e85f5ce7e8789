// bench/gpu/step.ts --null-device: Dawn's null backend (no driver needed) runs the whole bench path (training step
// launches, dispatch count, bind groups) while executing nothing, which is how host_s is measured without a rasteriser
// sharing the CPU (docs/gpu.md, "Host time").
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

describe('bench/gpu/step.ts --null-device', () => {
  it("times pix2pix on Dawn's null device and reuses its bind groups once the buffer pool settles", () => {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/gpu/step.ts',
        'pix2pix-32-ngf4',
        'webgpu',
        '--warmup',
        '1',
        '--steps',
        '12',
        '--gpu-times',
        '1',
        '--null-device',
      ],
      { cwd: root, encoding: 'utf8', stdio: 'pipe' },
    );
    const row = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(row.adapter).toEqual({ device: 'null-backend' });
    expect(row.dispatches).toBeGreaterThan(150);
    expect(row.host_s).toBeGreaterThan(0);
    // 12 timed steps after 3 untimed ones: all but the first few timed steps find every bind group again.
    expect(row.bind_groups_per_step.reused).toBeGreaterThan(10 * row.bind_groups_per_step.made);
    // Its timestamps are not times: GPU times per program say so rather than report them.
    expect(row.gpu_times).toEqual({ unavailable: 'the null device runs nothing' });
  }, 60_000);
});
