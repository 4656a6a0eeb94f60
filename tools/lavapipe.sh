#!/usr/bin/env bash
# Installs Mesa's lavapipe (a CPU Vulkan driver) from Debian bookworm-backports into a private folder
# and prints the path of its driver manifest, for FP8LM_WEBGPU_F16_ICD. Lavapipe has shader-f16,
# which SwiftShader lacks, so the WebGPU suite's f16 paths run on it (test/f16-adapter.test.ts); it is
# also a second Vulkan implementation whose compiler rewrites float math like GPU drivers do.
# Bookworm's own lavapipe (Mesa 22.3) is too old for Dawn; the backport (Mesa 25) is unpacked, not
# installed, so the system's Mesa stays as it is. Its libraries (LLVM 15, libdrm, xcb) come with
# Debian's mesa-vulkan-drivers, which this installs from bookworm itself.
# Usage: bash tools/lavapipe.sh [DIR]   (default /opt/fp8lm-lavapipe; needs root for apt-get)
set -euo pipefail
dir=${1:-/opt/fp8lm-lavapipe}
icd="$dir/lvp_icd.json"
lib="$dir/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
if [ ! -f "$icd" ] || [ ! -f "$lib" ]; then
  list=/etc/apt/sources.list.d/fp8lm-bookworm-backports.list
  if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo 'deb http://deb.debian.org/debian bookworm-backports main' >"$list"
  fi
  apt-get update -qq >&2
  apt-get install -y -qq mesa-vulkan-drivers libvulkan1 >&2
  mkdir -p "$dir"
  (cd "$dir" && rm -f mesa-vulkan-drivers_*.deb &&
    apt-get download -qq mesa-vulkan-drivers/bookworm-backports >&2 &&
    dpkg -x mesa-vulkan-drivers_*.deb root && rm -f mesa-vulkan-drivers_*.deb)
  if [ ! -f "$lib" ]; then
    echo "lavapipe.sh: $lib is missing from the backported package" >&2
    exit 1
  fi
  # The package's manifest names the library by file name alone; point it at the unpacked one.
  sed "s#\"libvulkan_lvp.so\"#\"$lib\"#" "$dir/root/usr/share/vulkan/icd.d/lvp_icd.json" >"$icd"
fi
echo "$icd"
