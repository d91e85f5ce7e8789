// Which CUDA/cuDNN major versions a libtensorflow build dlopens (TensorFlow's tested build configurations), and
// whether the libraries found match: the usual reason tfjs-node-gpu loads but runs on the CPU, or does not load.
import type { FoundLib } from './cuda-libs.js';

export interface CudaNeed {
  cuda: number;
  cudnn: number;
}

/** TF 2.9-2.14: CUDA 11, cuDNN 8; 2.15-2.17: CUDA 12, cuDNN 8; 2.18+: CUDA 12, cuDNN 9. */
export function cudaNeededBy(libtensorflowVersion: string): CudaNeed | null {
  const m = /^2\.(\d+)\./.exec(libtensorflowVersion);
  if (!m) return null;
  const minor = Number(m[1]);
  if (minor < 9) return null;
  if (minor <= 14) return { cuda: 11, cudnn: 8 };
  if (minor <= 17) return { cuda: 12, cudnn: 8 };
  return { cuda: 12, cudnn: 9 };
}

/** Problems that stop libtensorflow's GPU build from using the GPU, each a sentence; empty when all are there. */
export function cudaProblems(libs: Record<string, FoundLib[]>, need: CudaNeed | null): string[] {
  const problems: string[] = [];
  const majors = (stem: string) => [
    ...new Set((libs[stem] ?? []).map((l) => l.major).filter((m): m is number => m !== null)),
  ];
  if (!libs.libcuda?.length)
    problems.push('libcuda.so.1 (the NVIDIA driver) was not found: no NVIDIA driver is installed');
  if (!need) return problems;
  const runtime: [string, number][] = [
    ['libcudart', need.cuda],
    ['libcublas', need.cuda],
    ['libcudnn', need.cudnn],
  ];
  for (const [stem, want] of runtime) {
    const have = majors(stem);
    if (!have.includes(want)) {
      const seen = have.length ? `only major ${have.join(', ')} found` : 'not found';
      problems.push(`${stem}.so.${want} is needed (${seen})`);
    }
  }
  return problems;
}
