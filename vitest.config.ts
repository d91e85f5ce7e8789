import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Where Debian's chromium package puts SwiftShader's Vulkan driver manifest. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Where scripts/lavapipe.sh unpacks Mesa 25's lavapipe (bookworm-backports); .ci/run calls it. */
const LAVAPIPE_ICD = fileURLToPath(new URL('.cache/lavapipe/lvp_icd.json', import.meta.url));

/** The tests of pipe's WebGPU kernels and of training on webgpu. */
const WEBGPU_TESTS = ['src/ml/webgpu/**/*.test.ts', 'src/ml/backend-webgpu.test.ts', 'src/stages/train-webgpu.test.ts'];

export default defineConfig({
  test: {
    // tfjs backends keep global state per process: forks keep test files apart.
    pool: 'forks',
    // One test file per core: vitest's default for a run is cores - 1, a single worker on CI's 2 cores (the whole
    // suite took 16 min there against 10.5 with two). Stage child processes the tests start use one wasm thread
    // unless a test asks for more (XNNPACK's pool spins, so extra threads on a busy machine only add load).
    maxWorkers: os.availableParallelism(),
    env: { PIPE_THREADS: process.env.PIPE_THREADS ?? '1' },
    setupFiles: ['test/setup/typed-array-equality.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: 'pipe', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
      // The webgpu tests once more on two Vulkan drivers without a GPU, through Dawn's Vulkan backend (the one it
      // takes to an NVIDIA GPU); Mesa's llvmpipe (the 'pipe' project) reaches Dawn only through OpenGL ES. Dawn reads
      // VK_ICD_FILENAMES when it creates its Vulkan instance.
      vulkanProject('swiftshader', process.env.PIPE_SWIFTSHADER_ICD ?? SWIFTSHADER_ICD),
      vulkanProject('lavapipe', process.env.PIPE_LAVAPIPE_ICD ?? LAVAPIPE_ICD),
    ],
  },
});

/**
 * A project running WEBGPU_TESTS on one Vulkan driver: SwiftShader (shipped with Debian's chromium; WGSL subgroups
 * of 4) or Mesa 25's lavapipe (subgroups of 8 and shader-f16, the one adapter here with f16).
 */
function vulkanProject(adapter: 'swiftshader' | 'lavapipe', icd: string) {
  return {
    extends: true,
    test: {
      name: `webgpu-${adapter}`,
      include: WEBGPU_TESTS,
      env: { PIPE_THREADS: process.env.PIPE_THREADS ?? '1', PIPE_TEST_ADAPTER: adapter, VK_ICD_FILENAMES: icd },
    },
  } as const;
}
