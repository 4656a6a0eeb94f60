#!/usr/bin/env bash
# WebGPU check on a real GPU (an NVIDIA H100/H200 with its Vulkan driver), on a machine with no Node.js
# and no network: run from a copy of the working tree that carries .gpu/ (made by
# tools/gpu-check-prepare.sh). Steps, each under a time limit (whole run < 8 minutes):
#   1. unpack node (.gpu/node.xz) and, where the tree has none, node_modules + dist (.gpu/bundle.tar.xz)
#   2. find a Vulkan loader: the system's, else Debian's libvulkan1 unpacked into a private prefix
#      (LD_LIBRARY_PATH; nothing is written to /)
#   3. preflight: which adapter Dawn picks; fails on no adapter and on a CPU driver (SwiftShader, lavapipe).
#      If no GPU shows up, retries with the NVIDIA ICD at $NVIDIA_ICD (VK_DRIVER_FILES).
#   4. the WebGPU conformance suite (FP8LM_REQUIRE_WEBGPU=1: a missing adapter fails it), the GEMM
#      tests (both tile sizes) and the shader-f16 suite (f16 decoders bit-identical to the integer ones,
#      and the conformance suite again with them on)
#   5. the GEMM benchmark (JSON lines), sizes $GPU_CHECK_SIZES; then, time allowing, the FP8 GEMM with
#      the f16 decoders off (bench-f16-off.jsonl), for the f16 paths' speed-up
# Logs go to $OUT when it is set (else .gpu/out/): preflight.log, conformance.log, bench.jsonl, bench.log.
# Exit status: 0 only if every step passed.
#
# Environment:
#   GPU_CHECK_SIZES              bench sizes (default 256,512,1024,2048,4096)
#   GPU_CHECK_ALLOW_SWIFTSHADER  1: accept SwiftShader (to test this script on a machine without a GPU)
#   GPU_CHECK_NODE               use this node instead of .gpu/node.xz (testing)
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

# 2. A Vulkan loader (Dawn dlopens libvulkan.so.1).
if ldconfig -p 2>/dev/null | grep 'libvulkan\.so\.1' >/dev/null; then
  say "Vulkan loader: the system's"
else
  deb=$(ls .gpu/libvulkan1_*.deb 2>/dev/null | head -1)
  if [ -n "$deb" ]; then
    rm -rf "$work/vulkan" && dpkg -x "$deb" "$work/vulkan"
    lib=$(dirname "$(find "$work/vulkan" -name 'libvulkan.so.1' | head -1)")
    export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    say "Vulkan loader: $(basename "$deb") in $lib"
  else
    say "no Vulkan loader on the system and no .gpu/libvulkan1_*.deb"
  fi
fi

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
  fail "no usable WebGPU adapter (see preflight.log)"
  command -v nvidia-smi >/dev/null && nvidia-smi -L | sed 's/^/  /'
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d "$(dirname "$NVIDIA_ICD")" 2>/dev/null | sed 's/^/  /'
  exit 1
fi

# 4. Conformance (every case, plus the leak check), the GEMM tests and the shader-f16 suite.
say "conformance suite, GEMM tests, shader-f16 suite"
FP8LM_REQUIRE_WEBGPU=1 timeout 300 "$node" node_modules/vitest/vitest.mjs run --project kernels-webgpu \
  test/conformance.test.ts test/gemm.test.ts test/f16-adapter.test.ts >"$out/conformance.log" 2>&1 ||
  fail "conformance suite (exit $?)"
grep -E 'Tests |vitest:|FAIL' "$out/conformance.log" | sed 's/\x1b\[[0-9;]*m//g' | head -40 | sed 's/^/  /'

# 5. The GEMM bench (what is left of the 8 minutes, at most 150 s).
left=$((450 - ($(date +%s) - start)))
[ "$left" -gt 150 ] && left=150
if [ "$left" -lt 20 ]; then
  fail "no time left for the bench"
else
  say "GEMM bench, sizes $sizes (limit ${left}s)"
  (cd packages/kernels-webgpu && timeout "$left" "$node" bench/gemm.mjs --sizes "$sizes") \
    >"$out/bench.jsonl" 2>"$out/bench.log" || fail "bench (exit $?)"
  sed 's/^/  /' "$out/bench.jsonl"
  left=$((450 - ($(date +%s) - start)))
  if [ "$left" -gt 30 ]; then
    say "GEMM bench with the f16 decoders off, sizes 1024,4096 (limit ${left}s)"
    (cd packages/kernels-webgpu && timeout "$left" "$node" bench/gemm.mjs --sizes 1024,4096 --shader-f16 off) \
      >"$out/bench-f16-off.jsonl" 2>>"$out/bench.log" || say "bench with f16 off did not finish (exit $?)"
    sed 's/^/  /' "$out/bench-f16-off.jsonl"
  fi
fi

say "done: $([ "$status" = 0 ] && echo 'all passed' || echo 'FAILED'); logs in $out"
exit "$status"
