#!/usr/bin/env bash
# Prepares .gpu/ for tools/gpu-check.sh, on a development machine (with Node, npm and apt-get).
#
# The GPU machine has no Node.js and no network, and only 64 MiB of the working tree travel to it, so
# node_modules (hundreds of MiB) cannot go as it is. This writes, into the git-ignored .gpu/:
#   node.xz          this machine's `node` binary, xz-compressed
#   bundle.tar.xz    the packages' built dist/ folders plus the part of node_modules the check runs:
#                    vitest, webgpu (Dawn, linux-x64 only), TF.js core + webgpu backend and everything
#                    they depend on, the workspaces' own dependencies (npm query), the @fp8lm/* workspace
#                    links; no .d.ts, and no
#                    source maps but the packages' own (vitest reads those)
#   *.deb            Debian's Vulkan loader and glvnd libraries, for a machine that has the NVIDIA
#                    driver but not these
#   manifest.txt     what was packed, from which commit
# Then carry `.gpu` to the GPU machine and run `bash tools/gpu-check.sh` there.
# Usage: bash tools/gpu-check-prepare.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    *) echo "usage: $0 [--no-build]" >&2; exit 2 ;;
  esac
done

exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")" .gpu
grep -qxF '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >>"$exclude"

if [ "$build" = 1 ]; then
  echo "building the packages"
  npm run build --silent
fi
[ -f packages/kernels-webgpu/dist/node/index.js ] || { echo "packages are not built (npm run build)" >&2; exit 1; }

nodebin=$(readlink -f "$(command -v node)")
if [ -f .gpu/node.xz ] && [ .gpu/node.xz -nt "$nodebin" ] && [ -f .gpu/node.version ] &&
  [ "$(cat .gpu/node.version)" = "$(node --version)" ]; then
  echo "node $(node --version): .gpu/node.xz is up to date"
else
  echo "packing node $(node --version)"
  xz -T0 -6 -c "$nodebin" >.gpu/node.xz.tmp && mv .gpu/node.xz.tmp .gpu/node.xz
  node --version >.gpu/node.version
fi

echo "packing node_modules (the check's dependency closure) and dist/"
roots=':is(#vitest, #webgpu, #@tensorflow/tfjs-core, #@tensorflow/tfjs-backend-webgpu)'
# ... and the packages' own runtime dependencies (gpt's: js-tiktoken, vega-lite, …), for the trainer runs.
npm query "$roots, $roots *, .workspace *" |
  node -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const root = process.argv[1] + "/";
      const paths = new Set(JSON.parse(s).map((n) => n.path).filter((p) => p.startsWith(root + "node_modules/")));
      console.log([...paths].sort().map((p) => p.slice(root.length)).join("\n"));
    });' "$root" >.gpu/closure.txt
ls -d packages/*/dist >>.gpu/closure.txt
echo node_modules/@fp8lm >>.gpu/closure.txt
tar -cf - \
  --exclude='node_modules/*.map' --exclude='*.d.ts' --exclude='*.d.mts' --exclude='*.d.cts' \
  --exclude='*.tsbuildinfo' \
  --exclude='node_modules/webgpu/dist/darwin-*' --exclude='node_modules/webgpu/dist/win32-*' \
  --exclude='node_modules/webgpu/dist/linux-arm64' \
  -T .gpu/closure.txt | xz -T0 -6 >.gpu/bundle.tar.xz.tmp
mv .gpu/bundle.tar.xz.tmp .gpu/bundle.tar.xz

# The device README's loader set: the Vulkan loader, and glvnd (NVIDIA's Vulkan driver links against
# libGLdispatch.so.0) with its GL/EGL front ends. gpu-check.sh unpacks only what the machine lacks.
loaders=(libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2)
echo "downloading ${loaders[*]} (amd64, the GPU machine's architecture)"
rm -f .gpu/*.deb
lists=/tmp/fp8lm-apt-amd64
mkdir -p "$lists/partial"
apt=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists" -oAPT::Sandbox::User=root)
apt-get "${apt[@]}" -qq update
(cd .gpu && apt-get "${apt[@]}" -qq download "${loaders[@]}")

{
  echo "prepared: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- packages 2>/dev/null || echo ' (+ uncommitted changes)')"
  echo "node: $(node --version)"
  ls -l .gpu | tail -n +2
} >.gpu/manifest.txt
cat .gpu/manifest.txt
total=$(du -cm .gpu/node.xz .gpu/bundle.tar.xz .gpu/*.deb | tail -1 | cut -f1)
echo "total ${total} MiB to carry (limit: 64 MiB with the working tree)"
if [ "$total" -gt 58 ]; then echo "warning: .gpu/ may be too large to carry" >&2; fi
