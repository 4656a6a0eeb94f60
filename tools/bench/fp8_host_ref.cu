// Baseline of the fp8-format benchmark: the CUDA toolkit's own host conversion loops, single thread.
//
// Build (host only; no GPU is needed: cuda_fp8.h / cuda_fp16.h / cuda_bf16.h have host paths):
//   nvcc -O3 -Xcompiler -O3,-march=native -o tools/bench/build/fp8_host_ref tools/bench/fp8_host_ref.cu
// packages/fp8-format/bench/quantize.mjs builds and runs it; run by hand:
//   tools/bench/build/fp8_host_ref [--n N] [--reps R] [--seed S] [--scale X] [--dump DIR]
//
// Data (the JS side generates the identical array):
//   s = seed (uint32); for each i: s = s * 1664525 + 1013904223 (mod 2^32);
//   src[i] = (float)((s / 2^32 - 0.5) * 1000)   -- computed in double, then rounded once to float32,
//   i.e. uniform in [-500, 500). JS: `src[i] = (s / 4294967296 - 0.5) * 1000` into a Float32Array.
//   (s / 2^32 and "- 0.5" are exact, so the value is one double rounding then one float rounding,
//   whatever the compiler contracts.)
// scale is a float32 (default 448/500 rounded to float32, what an amax-based recipe picks);
// scaleInv = 1.0f / scale in float32 (JS: Math.fround(1 / scale) gives the same bits).
//
// Output: one JSON object per line.
//   {"ref":"cuda-host-O3","case":"data",...,"srcHash":"0x........"}  -- checks both sides made the same data
//   {"ref":"cuda-host-O3","case":"quantize-e4m3","unit":"Melem/s","value":..,"bestMs":..,"reps":..,
//    "hash":"0x........","amax":..}
// `hash` is 32-bit FNV-1a over the output array's bytes (little endian: uint8 codes, uint16 codes,
// or float32 values for dequantize), so the JS side can check it produced identical results.
// With --dump DIR each output array is also written raw to DIR/<case>.bin (for diagnosing a mismatch).

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr const char *kRef = "cuda-host-O3";
#if defined(__clang__)
constexpr const char *kHostCompiler = "clang";
#elif defined(__GNUC__)
constexpr const char *kHostCompiler = "g++";
#else
constexpr const char *kHostCompiler = "c++";
#endif

uint32_t fnv1a(const void *data, size_t bytes) {
  const unsigned char *p = static_cast<const unsigned char *>(data);
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < bytes; i++) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

// Each loop is its own non-inlined function so the compiler cannot merge or hoist work across reps.
// Encode loops: the conversion with amax of the unscaled input fused in, as fp8-format's `quantize` does.

__attribute__((noinline)) float quantize_e4m3(const float *src, __nv_fp8_storage_t *dst, size_t n, float scale) {
  float amax = 0.0f;
  for (size_t i = 0; i < n; i++) {
    amax = fmaxf(amax, fabsf(src[i]));
    dst[i] = __nv_cvt_float_to_fp8(src[i] * scale, __NV_SATFINITE, __NV_E4M3);
  }
  return amax;
}

__attribute__((noinline)) float quantize_e5m2(const float *src, __nv_fp8_storage_t *dst, size_t n, float scale) {
  float amax = 0.0f;
  for (size_t i = 0; i < n; i++) {
    amax = fmaxf(amax, fabsf(src[i]));
    dst[i] = __nv_cvt_float_to_fp8(src[i] * scale, __NV_SATFINITE, __NV_E5M2);
  }
  return amax;
}

__attribute__((noinline)) float quantize_f16(const float *src, uint16_t *dst, size_t n, float scale) {
  float amax = 0.0f;
  for (size_t i = 0; i < n; i++) {
    amax = fmaxf(amax, fabsf(src[i]));
    dst[i] = __half_raw(__float2half_rn(src[i] * scale)).x;
  }
  return amax;
}

__attribute__((noinline)) float quantize_bf16(const float *src, uint16_t *dst, size_t n, float scale) {
  float amax = 0.0f;
  for (size_t i = 0; i < n; i++) {
    amax = fmaxf(amax, fabsf(src[i]));
    dst[i] = __nv_bfloat16_raw(__float2bfloat16_rn(src[i] * scale)).x;
  }
  return amax;
}

__attribute__((noinline)) float dequantize_e4m3(const __nv_fp8_storage_t *src, float *out, size_t n, float scaleInv) {
  for (size_t i = 0; i < n; i++) {
    out[i] = __half2float(__half(__nv_cvt_fp8_to_halfraw(src[i], __NV_E4M3))) * scaleInv;
  }
  return 0.0f;
}

__attribute__((noinline)) float dequantize_e5m2(const __nv_fp8_storage_t *src, float *out, size_t n, float scaleInv) {
  for (size_t i = 0; i < n; i++) {
    out[i] = __half2float(__half(__nv_cvt_fp8_to_halfraw(src[i], __NV_E5M2))) * scaleInv;
  }
  return 0.0f;
}

volatile float g_sink;

// Runs `body` once to warm up, then `reps` times; returns the best wall time in milliseconds.
template <typename F> double best_ms(int reps, F body) {
  g_sink = body();
  double best = 1e300;
  for (int r = 0; r < reps; r++) {
    const auto t0 = std::chrono::steady_clock::now();
    g_sink = body();
    const auto t1 = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    if (ms < best) best = ms;
  }
  return best;
}

std::string dump_dir;

void report(const char *name, size_t n, int reps, double ms, const void *out, size_t bytes, const float *amax) {
  char amaxText[64] = "";
  if (amax != nullptr) std::snprintf(amaxText, sizeof amaxText, ",\"amax\":%.9g", static_cast<double>(*amax));
  std::printf("{\"ref\":\"%s\",\"case\":\"%s\",\"unit\":\"Melem/s\",\"value\":%.1f,\"bestMs\":%.3f,\"reps\":%d,"
              "\"hash\":\"0x%08x\"%s}\n",
              kRef, name, static_cast<double>(n) / (ms * 1e3), ms, reps, fnv1a(out, bytes), amaxText);
  std::fflush(stdout);
  if (!dump_dir.empty()) {
    const std::string path = dump_dir + "/" + name + ".bin";
    FILE *f = std::fopen(path.c_str(), "wb");
    if (f == nullptr || std::fwrite(out, 1, bytes, f) != bytes) {
      std::fprintf(stderr, "fp8_host_ref: cannot write %s\n", path.c_str());
      std::exit(1);
    }
    std::fclose(f);
  }
}

[[noreturn]] void usage() {
  std::fprintf(stderr, "usage: fp8_host_ref [--n N] [--reps R] [--seed S] [--scale X] [--dump DIR]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char **argv) {
  size_t n = size_t{1} << 24;
  int reps = 5;
  uint32_t seed = 1;
  float scale = 448.0f / 500.0f;
  for (int i = 1; i < argc; i++) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) usage();
    const char *value = argv[++i];
    if (arg == "--n") n = std::strtoull(value, nullptr, 10);
    else if (arg == "--reps") reps = std::atoi(value);
    else if (arg == "--seed") seed = static_cast<uint32_t>(std::strtoul(value, nullptr, 10));
    else if (arg == "--scale") scale = std::strtof(value, nullptr);
    else if (arg == "--dump") dump_dir = value;
    else usage();
  }
  if (n == 0 || reps < 1 || !(scale > 0.0f) || !std::isfinite(scale)) usage();
  const float scaleInv = 1.0f / scale;

  std::vector<float> src(n);
  uint32_t s = seed;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    src[i] = static_cast<float>((static_cast<double>(s) / 4294967296.0 - 0.5) * 1000.0);
  }
  std::printf("{\"ref\":\"%s\",\"case\":\"data\",\"n\":%zu,\"seed\":%u,\"scale\":%.9g,\"scaleInv\":%.9g,"
              "\"srcHash\":\"0x%08x\",\"compiler\":\"nvcc %d.%d, host %s %s\"}\n",
              kRef, n, seed, static_cast<double>(scale), static_cast<double>(scaleInv),
              fnv1a(src.data(), n * sizeof(float)), __CUDACC_VER_MAJOR__, __CUDACC_VER_MINOR__,
              kHostCompiler, __VERSION__);
  std::fflush(stdout);

  std::vector<__nv_fp8_storage_t> q8(n);
  std::vector<uint16_t> q16(n);
  std::vector<float> out(n);
  const float *in = src.data();
  float amax = 0.0f;
  double ms;

  ms = best_ms(reps, [&] { return amax = quantize_e4m3(in, q8.data(), n, scale); });
  report("quantize-e4m3", n, reps, ms, q8.data(), n, &amax);
  ms = best_ms(reps, [&] { return dequantize_e4m3(q8.data(), out.data(), n, scaleInv); });
  report("dequantize-e4m3", n, reps, ms, out.data(), n * sizeof(float), nullptr);

  ms = best_ms(reps, [&] { return amax = quantize_e5m2(in, q8.data(), n, scale); });
  report("quantize-e5m2", n, reps, ms, q8.data(), n, &amax);
  ms = best_ms(reps, [&] { return dequantize_e5m2(q8.data(), out.data(), n, scaleInv); });
  report("dequantize-e5m2", n, reps, ms, out.data(), n * sizeof(float), nullptr);

  ms = best_ms(reps, [&] { return amax = quantize_f16(in, q16.data(), n, scale); });
  report("quantize-f16", n, reps, ms, q16.data(), n * sizeof(uint16_t), &amax);
  ms = best_ms(reps, [&] { return amax = quantize_bf16(in, q16.data(), n, scale); });
  report("quantize-bf16", n, reps, ms, q16.data(), n * sizeof(uint16_t), &amax);
  return 0;
}
