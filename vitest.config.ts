import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // tfjs backends keep global state per process: forks keep test files apart.
    pool: 'forks',
    // Test files already run side by side on every core; stage child processes they start use one wasm thread
    // unless a test asks for more (XNNPACK's pool spins, so extra threads on a busy machine only add load).
    env: { PIPE_THREADS: process.env.PIPE_THREADS ?? '1' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
