#!/usr/bin/env bash
# Builds what bench/gpu/run.sh needs on a GPU host without network into one folder and one .tar.xz, and prints
# their sizes (the budget for carrying it over is 64 MiB): dist/ (tsc build), the compiled bench (esbuild, with
# node_modules left external), the runtime node_modules (npm ls --omit=dev) trimmed to linux-x64 and to the files
# Node loads (tfjs: the *.node.js bundles and .wasm binaries; webgpu: dist/linux-x64/dawn.node), and with
# --with-node this machine's Node binary.
# Usage: bash bench/gpu/make-bundle.sh [--out DIR] [--with-node]
# Then on the GPU host: tar -xJf pipe-gpu-bundle.tar.xz && bash pipe-gpu-bundle/bench/gpu/run.sh --data-dir ... --weights-dir ...
set -euo pipefail
cd "$(dirname "$0")/../.."
out="/tmp/pipe-gpu-bundle"
with_node=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --with-node) with_node=1; shift ;;
    *) echo "make-bundle: unknown argument $1" >&2; exit 2 ;;
  esac
done
npm run -s build
rm -rf "$out"
mkdir -p "$out/bench/gpu"
cp -r dist bin package.json schemas "$out/"
npx esbuild bench/gpu/run.ts bench/gpu/step.ts bench/gpu/conv-kernels.ts --bundle --platform=node --format=esm --packages=external \
  --outdir="$out/bench/gpu" --out-extension:.js=.mjs --log-level=warning
cp bench/pytorch_step.py bench/gpu/run.sh bench/gpu/facades-gpu-check.yaml "$out/bench/gpu/"
# Runtime dependencies only (optional ones that are installed, such as webgpu, included).
npm ls --omit=dev --all --parseable 2>/dev/null | sed "s#^$PWD/##" | grep '^node_modules/' | while read -r dir; do
  mkdir -p "$out/$(dirname "$dir")"
  cp -r "$dir" "$out/$dir"
done
nm="$out/node_modules"
# Files Node never loads at run time.
find "$nm" \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.md' -o -name '*.ts' -o -name 'LICENSE*' \) -type f -delete
find "$nm" -depth -type d \( -name test -o -name tests -o -name docs -o -name example -o -name examples \) -exec rm -rf {} +
# tfjs packages: Node loads the main *.node.js bundle (and wasm its .wasm binaries and worker).
for p in "$nm"/@tensorflow/*; do
  find "$p/dist" -type f ! -name '*.node.js' ! -name '*.wasm' ! -name '*.worker.js' -delete
  rm -rf "$p/src" "$p/scripts" "$p/wasm-out"
  find "$p/dist" -depth -type d -empty -delete
done
# Dawn: this platform's build only.
if [ -d "$nm/webgpu" ]; then
  find "$nm/webgpu/dist" -mindepth 1 -maxdepth 1 ! -name "$(node -p 'process.platform + "-" + process.arch')" -exec rm -rf {} +
  rm -rf "$nm/webgpu/build"
fi
[ "$with_node" = 1 ] && cp "$(command -v node)" "$out/node"
du -sm "$out" | awk '{print "bundle folder: " $1 " MiB"}'
du -sm "$nm" | awk '{print "  node_modules: " $1 " MiB"}'
tar -C "$(dirname "$out")" -cJf "$out.tar.xz" "$(basename "$out")"
du -m "$out.tar.xz" | awk '{print "bundle archive (xz): " $1 " MiB"}'
