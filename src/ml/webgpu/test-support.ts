// Shared by the webgpu test files: whether webgpu can run here (the adapter probed in a child process first, since
// Dawn can block in native code), and the rule that CI (PIPE_REQUIRE_WEBGPU=1 from .ci/run, or CI=true) must not
// skip. Not a test itself.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { initBackend } from '../backend.js';
import { probeWebgpu } from '../doctor/webgpu-probe.js';

/** null when webgpu loaded (and cpu is active again), else why it cannot run. */
export async function webgpuSkipReason(): Promise<string | null> {
  if (process.env.PIPE_TEST_WEBGPU === '0') return 'PIPE_TEST_WEBGPU=0';
  const probe = await probeWebgpu();
  if (!probe.found) return probe.reason;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('initBackend did not finish within 10 s')), 10_000);
  });
  try {
    await Promise.race([initBackend('webgpu'), timeout]);
    return null;
  } catch (err) {
    return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
  } finally {
    clearTimeout(timer);
    await initBackend('cpu');
  }
}

export function webgpuRequired(): boolean {
  return process.env.PIPE_REQUIRE_WEBGPU === '1' || process.env.CI === 'true' || process.env.CI === '1';
}

/** The body of the "why skipped" test: names the reason, and fails where webgpu is required. */
export function expectSkipAllowed(skipped: string | null): void {
  expect(skipped).toMatch(/\S/);
  expect(
    webgpuRequired() ? skipped : null,
    'webgpu must run in CI: .ci/run installs Mesa/EGL (libegl1 libegl-mesa0 libgl1-mesa-dri)',
  ).toBeNull();
}

/** Runs `f` on cpu and on webgpu, returning both results (cpu active afterwards). */
export async function onBoth<T>(f: () => Promise<T>): Promise<{ cpu: T; webgpu: T }> {
  await initBackend('cpu');
  const cpu = await f();
  await initBackend('webgpu');
  try {
    return { cpu, webgpu: await f() };
  } finally {
    await initBackend('cpu');
  }
}

/** max |a - b| / max |a|. */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(b.length).toBe(a.length);
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]!));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

export const data = (t: tf.Tensor) => t.data() as Promise<Float32Array>;
