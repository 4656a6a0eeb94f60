#!/usr/bin/env bash
# WebGPU check on a real GPU (an NVIDIA H100/H200 with its Vulkan driver), on a machine with no Node.js
# and no network: run from a copy of the working tree that carries .gpu/ (made by
# tools/gpu-check-prepare.sh). Steps, each under a time limit (whole run < 8 minutes):
#   1. unpack node (.gpu/node.xz) and, where the tree has none, node_modules + dist (.gpu/bundle.tar.xz)
#   2. the Vulkan loader and glvnd's libGLdispatch (NVIDIA's Vulkan driver needs it): the system's, else
#      the carried Debian packages unpacked into a private prefix (LD_LIBRARY_PATH; nothing written to /)
#   3. preflight: which adapter Dawn picks; fails on no adapter and on a CPU driver (SwiftShader, lavapipe).
#      If no GPU shows up, retries with the NVIDIA ICD at $NVIDIA_ICD (VK_DRIVER_FILES).
#   4. the WebGPU conformance suite (FP8LM_REQUIRE_WEBGPU=1: a missing adapter fails it), the GEMM
#      tests (both tile sizes) and the shader-f16 suite (f16 decoders bit-identical to the integer ones,
#      and the conformance suite again with them on)
#   5. the GEMM benchmark (JSON lines), sizes $GPU_CHECK_SIZES
#   6. the trainer: `train --backend webgpu` against cpu (gpt's webgpu test), then tokens/s of both
#      backends (packages/gpt/bench/throughput.mjs), time allowing, with a kernel profile of a few
#      webgpu steps (GPU time per step against wall time, and the kernels that take it)
#   7. time allowing, the FP8 GEMM with the f16 decoders off (bench-f16-off.jsonl): the f16 paths' speed-up
# Logs go to $OUT when it is set (else .gpu/out/), at most 8 files (what the device tool returns):
# preflight.log (+ loader.log on failure), conformance.log, trainer.log, bench.jsonl, throughput.jsonl,
# bench-f16-off.jsonl, bench.log.
# Exit status: 0 only if every step passed.
#
# Environment:
#   GPU_CHECK_SIZES              bench sizes (default 256,512,1024,2048,4096)
#   GPU_CHECK_ALLOW_SWIFTSHADER  1: accept SwiftShader (to test this script on a machine without a GPU)
#   GPU_CHECK_NODE               use this node instead of .gpu/node.xz (testing)
#   GPU_CHECK_CARRIED_LOADERS    1: use the carried loader packages even where the system has them (testing)
#   FP8LM_WEBGPU_OPS             passed on: runs only these ops' conformance cases (e.g. quantize,gemm)
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
work=${TMPDIR:-/tmp}/fp8lm-gpu-check
out=${OUT:-$root/.gpu/out}
mkdir -p "$work" "$out"
NVIDIA_ICD=${NVIDIA_ICD:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
sizes=${GPU_CHECK_SIZES:-256,512,1024,2048,4096}
status=0

say() { echo "[gpu-check $(($(date +%s) - start))s] $*"; }
fail() { say "FAILED: $*"; status=1; }

# xz may be missing on a minimal image; Python's lzma can stand in.
unxz_to() { # unxz_to FILE.xz DEST
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2"
  else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}

# 1. Node and the packed dependencies.
if [ -n "${GPU_CHECK_NODE:-}" ]; then
  node=$GPU_CHECK_NODE
else
  [ -f .gpu/node.xz ] || { say "missing .gpu/node.xz: run tools/gpu-check-prepare.sh and carry .gpu"; exit 1; }
  node=$work/bin/node
  if [ ! -x "$node" ] || [ .gpu/node.xz -nt "$node" ]; then
    mkdir -p "$work/bin"
    unxz_to .gpu/node.xz "$node.tmp" && chmod +x "$node.tmp" && mv "$node.tmp" "$node" || { say "cannot unpack node"; exit 1; }
  fi
fi
export PATH="$(dirname "$node"):$PATH"
say "node $("$node" --version) ($node)"
[ -f .gpu/manifest.txt ] && sed 's/^/  bundle /' .gpu/manifest.txt | head -3
if [ -f node_modules/vitest/package.json ]; then
  say "node_modules present: not unpacking .gpu/bundle.tar.xz"
else
  [ -f .gpu/bundle.tar.xz ] || { say "no node_modules and no .gpu/bundle.tar.xz"; exit 1; }
  say "unpacking .gpu/bundle.tar.xz"
  if command -v xz >/dev/null 2>&1; then tar -xJf .gpu/bundle.tar.xz --skip-old-files
  else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(".")' .gpu/bundle.tar.xz
  fi || { say "cannot unpack the bundle"; exit 1; }
fi

# 2. The Vulkan loader (Dawn dlopens libvulkan.so.1) and glvnd's libGLdispatch.so.0, which NVIDIA's
#    Vulkan driver (libGLX_nvidia.so.0) links against: the device README's loader set, carried as .debs.
#    Each one the system lacks is unpacked into a private prefix put on LD_LIBRARY_PATH (read once at
#    process start, and also for the dependencies of dlopened drivers); nothing is written to /.
soname_of() { # the library a carried package provides
  case "$1" in
    libvulkan1) echo libvulkan.so.1 ;; libglvnd0) echo libGLdispatch.so.0 ;; libegl1) echo libEGL.so.1 ;;
    libgl1) echo libGL.so.1 ;; libglx0) echo libGLX.so.0 ;; libopengl0) echo libOpenGL.so.0 ;;
    libgles2) echo libGLESv2.so.2 ;; *) echo "$1" ;;
  esac
}
have_lib() { ldconfig -p 2>/dev/null | grep -F " $1 " >/dev/null || ldconfig -p 2>/dev/null | grep -F "$1 (" >/dev/null; }
prefix=$work/loaders
rm -rf "$prefix"
for deb in .gpu/*.deb; do
  [ -f "$deb" ] || continue
  pkg=$(basename "$deb" | cut -d_ -f1)
  so=$(soname_of "$pkg")
  if have_lib "$so" && [ "${GPU_CHECK_CARRIED_LOADERS:-}" != 1 ]; then
    say "$so: the system's"
  else
    dpkg -x "$deb" "$prefix" && say "$so: carried $(basename "$deb")" || fail "cannot unpack $deb"
  fi
done
if [ -d "$prefix" ]; then
  lib=$(dirname "$(find "$prefix" -name 'lib*.so*' | head -1)")
  export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if ! have_lib libvulkan.so.1 && ! ls "$prefix"/usr/lib/*/libvulkan.so.1 >/dev/null 2>&1; then
  say "no Vulkan loader on the system and none carried (.gpu/libvulkan1_*.deb)"
fi
# The NVIDIA ICD names its library by file name alone; the driver's folder may be off the loader's path.
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
  if [ -f "$d/libGLX_nvidia.so.0" ] && ! have_lib libGLX_nvidia.so.0 &&
    [[ ":${LD_LIBRARY_PATH:-}:" != *":$d:"* ]]; then
    export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}$d"
    say "NVIDIA driver libraries: $d (added to LD_LIBRARY_PATH)"
  fi
done

# Never SwiftShader here: the Node entry tries the real GPU first, and falls back to SwiftShader only
# through Chromium's ICD manifest, which this variable would otherwise point at.
if [ "${GPU_CHECK_ALLOW_SWIFTSHADER:-}" = 1 ]; then
  say "GPU_CHECK_ALLOW_SWIFTSHADER=1: SwiftShader accepted (a test of this script, not of a GPU)"
else
  export FP8LM_WEBGPU_NO_SWIFTSHADER=1 # for a Node entry that honours it
  [[ "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" == *swiftshader* ]] && unset VK_ICD_FILENAMES VK_DRIVER_FILES
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$work/xdg}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# 3. Preflight: the adapter Dawn gives the backend.
preflight() {
  (cd packages/kernels-webgpu && timeout 60 "$node" --input-type=module -e '
    import { createNodeWebGpuBackend } from "@fp8lm/kernels-webgpu/node";
    const b = await createNodeWebGpuBackend();
    if ("unavailable" in b) { console.log(`unavailable: ${b.unavailable}`); process.exit(3); }
    const t = b.upload("f32", [4], new Float32Array([1, 2, 3, 4]));
    const back = await b.read(t);
    console.log(`adapter: ${b.info.adapter}; shader-f16: ${b.info.shaderF16Status}; round trip: ${back.join(",")}`);
    process.exit(back[3] === 4 ? 0 : 4);
  ')
}
adapter_ok() { # the last preflight found a GPU adapter (a CPU one only where allowed)
  local line
  line=$(grep '^adapter:' "$out/preflight.log" | tail -1)
  [ -n "$line" ] &&
    { [ "${GPU_CHECK_ALLOW_SWIFTSHADER:-}" = 1 ] || ! echo "$line" | grep -Eqi 'swiftshader|llvmpipe|lavapipe'; }
}
say "preflight"
env | grep -E '^(VK_|LD_LIBRARY_PATH)' | sed 's/^/  /'
preflight >"$out/preflight.log" 2>&1
if ! adapter_ok && [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$NVIDIA_ICD" ]; then
  say "no GPU adapter; retrying with VK_DRIVER_FILES=$NVIDIA_ICD"
  export VK_DRIVER_FILES=$NVIDIA_ICD
  preflight >>"$out/preflight.log" 2>&1
fi
grep -v -e '^Warning: ' -e '^ - While' -e '^    at ' "$out/preflight.log" | sed 's/^/  /'
if ! adapter_ok; then
  fail "no usable WebGPU adapter (see preflight.log, loader.log)"
  command -v nvidia-smi >/dev/null && nvidia-smi -L | sed 's/^/  /'
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d "$(dirname "$NVIDIA_ICD")" 2>/dev/null | sed 's/^/  /'
  # Why the loader dropped a driver: its own log, and the driver library's unresolved dependencies.
  VK_LOADER_DEBUG=error,warn,driver preflight >"$out/loader.log" 2>&1
  grep -Ei 'error|warn|failed|driver' "$out/loader.log" | head -30 | sed 's/^/  loader: /'
  if [ -f "$NVIDIA_ICD" ]; then
    icdlib=$(sed -n 's/.*"library_path" *: *"\([^"]*\)".*/\1/p' "$NVIDIA_ICD" | head -1)
    say "NVIDIA ICD library: ${icdlib:-?}"
    for d in "" /usr/local/nvidia/lib64 /usr/local/nvidia/lib; do
      f=${d:+$d/}$icdlib
      [ -f "$f" ] && ldd "$f" 2>&1 | grep -i 'not found' | sed "s#^#  $f: #"
    done
  fi
  exit 1
fi

# Time left of the 8 minutes (450 s of work), capped at $1 seconds.
budget() {
  local left=$((450 - ($(date +%s) - start)))
  echo $((left < $1 ? left : $1))
}
vitest=("$node" node_modules/vitest/vitest.mjs run)
summary() { sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -E 'Tests |vitest:|FAIL|✓ .*match' | head -40 | sed 's/^/  /'; }

# 4. Conformance (every case, plus the leak check), the GEMM tests and the shader-f16 suite.
say "conformance suite, GEMM tests, shader-f16 suite"
FP8LM_REQUIRE_WEBGPU=1 timeout 300 "${vitest[@]}" --project kernels-webgpu \
  test/conformance.test.ts test/gemm.test.ts test/f16-adapter.test.ts >"$out/conformance.log" 2>&1 ||
  fail "conformance suite (exit $?)"
summary "$out/conformance.log"

# 5. The GEMM bench (at most 150 s).
left=$(budget 150)
if [ "$left" -lt 20 ]; then
  fail "no time left for the bench"
else
  say "GEMM bench, sizes $sizes (limit ${left}s)"
  (cd packages/kernels-webgpu && timeout "$left" "$node" bench/gemm.mjs --sizes "$sizes") \
    >"$out/bench.jsonl" 2>"$out/bench.log" || fail "bench (exit $?)"
  sed 's/^/  /' "$out/bench.jsonl"
fi

# 6. The trainer on the GPU: `fp8lm train --backend webgpu` against cpu (20 losses each, fp32 and O2),
#    then tokens/s of the shakespeare preset on both backends, and of GPT-2 124M (block 256) on webgpu.
left=$(budget 90)
if [ "$left" -lt 20 ]; then
  fail "no time left for the trainer test"
else
  say "trainer: webgpu against cpu (limit ${left}s)"
  FP8LM_REQUIRE_WEBGPU=1 timeout "$left" "${vitest[@]}" --project gpt test/webgpu.test.ts >"$out/trainer.log" 2>&1 ||
    fail "trainer test (exit $?)"
  summary "$out/trainer.log"
fi
left=$(budget 60)
if [ "$left" -gt 20 ]; then
  say "trainer throughput, shakespeare preset (limit ${left}s)"
  (cd packages/gpt && timeout "$left" "$node" bench/throughput.mjs --steps 30 --skip 5 --profile 3) \
    >"$out/throughput.jsonl" 2>>"$out/bench.log" || say "throughput bench did not finish (exit $?)"
  left=$(budget 60)
  if [ "$left" -gt 20 ]; then
    say "trainer throughput, gpt2-124m with block 256, webgpu only (limit ${left}s)"
    (cd packages/gpt && timeout "$left" "$node" bench/throughput.mjs --backends webgpu --levels fp32,O2 \
      --preset gpt2-124m --block-size 256 --batch-size 8 --steps 9 --skip 3 --profile 2) \
      >>"$out/throughput.jsonl" 2>>"$out/bench.log" || say "gpt2-124m throughput did not finish (exit $?)"
  fi
  grep -v '/kernel"' "$out/throughput.jsonl" | sed 's/^/  /' # the kernel lines are in the file
fi

# 7. Time allowing, the FP8 GEMM with the f16 decoders off: the f16 paths' speed-up.
left=$(budget 120)
if [ "$left" -gt 30 ]; then
  say "GEMM bench with the f16 decoders off, sizes 1024,4096 (limit ${left}s)"
  (cd packages/kernels-webgpu && timeout "$left" "$node" bench/gemm.mjs --sizes 1024,4096 --shader-f16 off) \
    >"$out/bench-f16-off.jsonl" 2>>"$out/bench.log" || say "bench with f16 off did not finish (exit $?)"
  sed 's/^/  /' "$out/bench-f16-off.jsonl"
fi

say "done: $([ "$status" = 0 ] && echo 'all passed' || echo 'FAILED'); logs in $out"
exit "$status"
