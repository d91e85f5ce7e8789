#!/usr/bin/env bash
# Unpacks Mesa's Vulkan software rasteriser lavapipe from Debian bookworm-backports (Mesa 25) into a folder, for the
# 'webgpu-lavapipe' vitest project: Dawn's Vulkan backend (the one it takes to an NVIDIA GPU) on a machine without
# one, with WGSL subgroups and shader-f16. Bookworm's own Mesa 22.3 lavapipe is refused by Dawn, and installing the
# backport system-wide would hand it to every Vulkan program here, so it is unpacked instead: nothing outside DEST
# changes and no root is needed. apt checks the packages against Debian's signed Release files.
# Usage: bash scripts/lavapipe.sh [DEST]   (default .cache/lavapipe); prints the ICD manifest's path.
set -euo pipefail
dest="$(realpath -m "${1:-.cache/lavapipe}")"
icd="$dest/lvp_icd.json"
lib="$dest/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
if [ -f "$icd" ] && [ -f "$lib" ]; then
  echo "$icd"
  exit 0
fi
if [ "$(dpkg --print-architecture 2>/dev/null)" != amd64 ]; then
  echo "lavapipe.sh: needs Debian or Ubuntu on amd64 (dpkg, apt-get); set PIPE_LAVAPIPE_ICD to a lavapipe ICD manifest of Mesa >= 24 instead" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sources" "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
cat >"$work/sources/backports.sources" <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_opts=(-qq -o Dir::Etc::sourcelist=/dev/null -o "Dir::Etc::sourceparts=$work/sources"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Debug::NoLocking=1
  -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" update >&2
(cd "$work/debs" && apt-get "${apt_opts[@]}" download mesa-vulkan-drivers/bookworm-backports >&2)
rm -rf "$dest" && mkdir -p "$dest"
dpkg-deb -x "$work"/debs/mesa-vulkan-drivers_*.deb "$dest"
# The packaged manifest names the library without a folder (the loader's search path); point it at the copy here.
sed "s#\"libvulkan_lvp.so\"#\"$lib\"#" "$dest/usr/share/vulkan/icd.d/lvp_icd.json" >"$icd"
echo "$icd"
