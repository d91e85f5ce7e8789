import { defineConfig } from 'vitest/config';

/** Where Debian's chromium package puts SwiftShader's Vulkan driver manifest. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** The tests of pipe's WebGPU kernels and of training on webgpu. */
const WEBGPU_TESTS = ['src/ml/webgpu/**/*.test.ts', 'src/ml/backend-webgpu.test.ts'];

export default defineConfig({
  test: {
    // tfjs backends keep global state per process: forks keep test files apart.
    pool: 'forks',
    // Test files already run side by side on every core; stage child processes they start use one wasm thread
    // unless a test asks for more (XNNPACK's pool spins, so extra threads on a busy machine only add load).
    env: { PIPE_THREADS: process.env.PIPE_THREADS ?? '1' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'pipe', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
      {
        // The webgpu tests once more on SwiftShader's Vulkan driver (shipped with Debian's chromium), the one
        // adapter here that offers WGSL subgroups: Mesa's llvmpipe (the 'pipe' project) reaches Dawn only through
        // OpenGL ES, without them. Dawn reads VK_ICD_FILENAMES when it creates its Vulkan instance.
        extends: true,
        test: {
          name: 'webgpu-swiftshader',
          include: WEBGPU_TESTS,
          env: {
            PIPE_THREADS: process.env.PIPE_THREADS ?? '1',
            PIPE_TEST_ADAPTER: 'swiftshader',
            VK_ICD_FILENAMES: process.env.PIPE_SWIFTSHADER_ICD ?? SWIFTSHADER_ICD,
          },
        },
      },
    ],
  },
});
