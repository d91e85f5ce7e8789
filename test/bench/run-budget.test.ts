// bench/gpu/run.ts --budget-s: a device call may be cut short, so the driver runs its parts most important first and,
// once the budget is spent, skips the rest with a line each, rather than running into the device's time limit.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

describe('bench/gpu/run.ts --budget-s', () => {
  it('with no time left, says what it skipped, in order of importance, and exits 0', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'bench/gpu/run.ts', '--dry-run', '--budget-s', '0', '--python', 'false'],
      { cwd: root, encoding: 'utf8', stdio: 'pipe' },
    );
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { measure: string; what: string; why: string });
    expect(lines.map((l) => [l.measure, l.what])).toEqual([
      ['skipped', 'pix2pix-32-ngf4'],
      ['skipped', 'pix2pix-32-ngf4-perceptual'],
      ['skipped', 'cyclegan-32-resnet9-ngf4'],
      ['skipped', 'pipeline'],
      ['skipped', 'conv_kernels'],
    ]);
    expect(lines[0]!.why).toMatch(/^--budget-s 0 spent/);
  }, 60_000);
});
