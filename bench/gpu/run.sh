#!/usr/bin/env bash
# `npm run bench:gpu` -- pipe's GPU benchmark in one command: webgpu vs PyTorch CUDA on the same GPU, then a reduced
# real pipeline end to end. What a bare GPU host with no network needs:
#   - Linux x86_64 with the NVIDIA driver and its Vulkan ICD (libvulkan1; /usr/share/vulkan/icd.d/nvidia_icd.json):
#     Dawn (the npm `webgpu` package) reaches the GPU through Vulkan. `pipe doctor` shows the adapter it finds.
#   - Node >= 20: `node` on PATH, or ./node from a bundle made with `bench/gpu/make-bundle.sh --with-node`.
#   - This checkout's node_modules, or the trimmed bundle from bench/gpu/make-bundle.sh (dist/, runtime
#     node_modules, the compiled bench; its size is printed there and must stay within 64 MiB).
#   - Python 3 with CUDA PyTorch (torch.cuda.is_available()) for the reference times (bench/pytorch_step.py
#     --device cuda). Without it the script says so, prints pytorch_s null and still times pipe.
#   - The facades dataset and the weights (VGG19 Keras, LPIPS SqueezeNet): --data-dir / --weights-dir, default
#     ../shared/datasets and ../shared/weights.
# Prints JSON lines, the most important first: {config, backend, ours_s, pytorch_s, ratio, dispatches} for
# pix2pix-256-ngf64, pix2pix-256-ngf64-perceptual and cyclegan-256-resnet9, each followed by {measure: "gpu_times"}
# (GPU time per program beside PyTorch's CUDA kernels); then {measure: "pipeline", wall_s, ...}; then the variant
# lines (autotuning, backbone kernels, subgroups, f16, submit batch, stock kernels); then {measure: "conv_kernels"}
# lines (pipe's conv kernels against tfjs's, GPU-timed). docs/gpu.md says how to read them.
# Usage: bash bench/gpu/run.sh [--dry-run] [--data-dir D] [--weights-dir W] [--python P] [--steps N] [--backend B]
#                               [--budget-s S]
#   --dry-run: tiny configs and a tiny pipeline, to check the script itself on any machine (Mesa llvmpipe works).
#   --budget-s: after S seconds, skip what is left (each part skipped says so); the lines come most important first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
NODE="node"
[ -x "$here/../../node" ] && NODE="$here/../../node" # a bundle made --with-node
if ! command -v "$NODE" >/dev/null; then
  echo "bench:gpu: no Node.js: install Node >= 20 or use a bundle made with bench/gpu/make-bundle.sh --with-node" >&2
  exit 2
fi
if [ -f "$here/run.mjs" ]; then
  exec "$NODE" "$here/run.mjs" "$@" # inside a bundle
fi
cd "$here/../.."
exec "$NODE" --import tsx bench/gpu/run.ts "$@"
