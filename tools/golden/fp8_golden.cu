// Golden tables for @fp8lm/fp8-format, computed by the CUDA toolkit's host-side conversions.
//
// Host-only: build with `nvcc -O2 -o fp8_golden fp8_golden.cu` (no GPU needed; the conversion
// functions of cuda_fp8.h / cuda_fp16.h / cuda_bf16.h have host code paths) and run
// `./fp8_golden OUT.bin`. Normally tools/golden/generate.mjs does both and gzips the result.
//
// Inputs (float32 bit patterns, built here, deduplicated, sorted ascending as uint32):
//   for each of E4M3, E5M2, FP16, BF16 (the finite values found by decoding every code with CUDA):
//   - every finite code's value and its float32 neighbours (1 ulp each way; 2 for the 8-bit formats),
//   - the midpoint of every pair of neighbouring finite codes (computed in double, kept when exactly
//     a float32) and its float32 neighbours, 2 ulps each way,
//   - the overflow threshold max + ulp(max)/2, max + ulp(max), 2*max, each with 2 ulps each way,
//   - subnormal edges: 1/4, 1/2, 3/4, 5/4, 3/2 of the smallest subnormal, with neighbours;
//   all of the above with both signs; plus float32 specials (±0, the float32 subnormal edges,
//   ±FLT_MAX, ±inf, NaNs with several payloads and both signs) and a deterministic pseudo-random
//   sample: float32 bit patterns uniform over all 2^32, and uniform over magnitudes in 2^-27..2^18.
//
// Output file (all integers little-endian; the generator asserts a little-endian host):
//   header, 32 bytes:
//     0  char[8]  magic "FP8GOLD1"
//     8  u32      format version = 1
//     12 u16      nvcc major (__CUDACC_VER_MAJOR__)
//     14 u16      nvcc minor (__CUDACC_VER_MINOR__)
//     16 u32      CUDART_VERSION
//     20 u32      N, the number of encode inputs
//     24 u32      number of FP8 decode entries per format (256)
//     28 u32      number of 16-bit decode entries per format (65536)
//   sections, back to back, in this order:
//     inputs         N x u32   float32 bits, delta-coded: stored[i] = bits[i] - bits[i-1] (mod 2^32), bits[-1] = 0
//     e4m3 satfinite N x u8    __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3)
//     e4m3 nosat     N x u8    __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E4M3)
//     e5m2 satfinite N x u8    __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E5M2)
//     e5m2 nosat     N x u8    __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E5M2)
//     f16            N x u16   bits of __float2half_rn(x)
//     bf16           N x u16   bits of __float2bfloat16_rn(x)
//     e4m3 decode  256 x u32   float32 bits of __half2float(__nv_cvt_fp8_to_halfraw(code, __NV_E4M3))
//     e5m2 decode  256 x u32   the same for __NV_E5M2
//     f16 decode 65536 x u32   float32 bits of __half2float(code)
//     bf16 decode 65536 x u32  float32 bits of __bfloat162float(code)

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

float decodeFp8(unsigned code, __nv_fp8_interpretation_t kind) {
  __half_raw raw = __nv_cvt_fp8_to_halfraw(static_cast<__nv_fp8_storage_t>(code), kind);
  return __half2float(__half(raw));
}

float decodeHalf(unsigned code) {
  __half_raw raw;
  raw.x = static_cast<unsigned short>(code);
  return __half2float(__half(raw));
}

float decodeBFloat16(unsigned code) {
  __nv_bfloat16_raw raw;
  raw.x = static_cast<unsigned short>(code);
  return __bfloat162float(__nv_bfloat16(raw));
}

unsigned short halfBits(float x) {
  __half_raw raw = __float2half_rn(x);
  return raw.x;
}

unsigned short bfloat16Bits(float x) {
  __nv_bfloat16_raw raw = __float2bfloat16_rn(x);
  return raw.x;
}

// splitmix64: a fixed, portable sequence so the sample is the same on every run.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint32_t next32() { return static_cast<uint32_t>(next() >> 32); }
};

struct InputSet {
  std::vector<uint32_t> bits;

  void addBits(uint32_t b) { bits.push_back(b); }

  // A float32 value with both signs, plus `ulps` float32 neighbours each way.
  void addWithNeighbours(float x, int ulps) {
    for (int sign = 0; sign < 2; sign++) {
      float v = sign ? -x : x;
      addBits(bitsOf(v));
      float up = v;
      float down = v;
      for (int k = 0; k < ulps; k++) {
        up = std::nextafterf(up, INFINITY);
        down = std::nextafterf(down, -INFINITY);
        addBits(bitsOf(up));
        addBits(bitsOf(down));
      }
    }
  }

  // A value computed in double, if it is exactly a float32.
  void addExact(double x, int ulps) {
    float f = static_cast<float>(x);
    if (static_cast<double>(f) == x && std::isfinite(f)) addWithNeighbours(f, ulps);
  }
};

// The ascending positive finite values of a format, from its decoder.
template <typename Decode>
std::vector<double> positiveFiniteValues(unsigned codeCount, unsigned signBit, Decode decodeFn) {
  std::vector<double> values;
  for (unsigned code = 0; code < codeCount; code++) {
    if (code & signBit) continue;
    float v = decodeFn(code);
    if (std::isfinite(v)) values.push_back(static_cast<double>(v));
  }
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

void addFormatBoundaries(InputSet &set, const std::vector<double> &values, int codeUlps) {
  for (double v : values) set.addExact(v, codeUlps);
  for (size_t i = 0; i + 1 < values.size(); i++) set.addExact((values[i] + values[i + 1]) / 2, 2);
  const size_t n = values.size();
  const double max = values[n - 1];
  const double ulpAtMax = max - values[n - 2];
  set.addExact(max, 2);
  set.addExact(max + ulpAtMax / 2, 2);  // the overflow threshold (a tie: rounds to even)
  set.addExact(max + ulpAtMax, 2);
  set.addExact(2 * max, 2);
  const double minSub = values[1];  // values[0] is 0
  for (double f : {0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0}) set.addExact(minSub * f, 2);
}

bool writeAll(FILE *out, const void *data, size_t bytes) {
  return std::fwrite(data, 1, bytes, out) == bytes;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.bin\n", argv[0]);
    return 2;
  }
  const uint32_t one = 1;
  if (*reinterpret_cast<const unsigned char *>(&one) != 1) {
    std::fprintf(stderr, "fp8_golden: this program writes its host's byte order and needs a little-endian host\n");
    return 1;
  }

  // Decode tables, straight from CUDA.
  std::vector<uint32_t> decE4M3(256), decE5M2(256), decF16(65536), decBF16(65536);
  for (unsigned c = 0; c < 256; c++) {
    decE4M3[c] = bitsOf(decodeFp8(c, __NV_E4M3));
    decE5M2[c] = bitsOf(decodeFp8(c, __NV_E5M2));
  }
  for (unsigned c = 0; c < 65536; c++) {
    decF16[c] = bitsOf(decodeHalf(c));
    decBF16[c] = bitsOf(decodeBFloat16(c));
  }

  InputSet set;
  addFormatBoundaries(set, positiveFiniteValues(256, 0x80, [](unsigned c) { return decodeFp8(c, __NV_E4M3); }), 2);
  addFormatBoundaries(set, positiveFiniteValues(256, 0x80, [](unsigned c) { return decodeFp8(c, __NV_E5M2); }), 2);
  addFormatBoundaries(set, positiveFiniteValues(65536, 0x8000, decodeHalf), 1);
  addFormatBoundaries(set, positiveFiniteValues(65536, 0x8000, decodeBFloat16), 1);

  // float32 specials, both signs.
  const uint32_t specials[] = {
      0x00000000u, 0x00000001u, 0x00000002u, 0x007fffffu, 0x00800000u, 0x00800001u, 0x3f800000u,
      0x7f7fffffu, 0x7f7ffffeu, 0x7f800000u,
      // NaNs: quiet, signalling, all-ones payload, single-bit payloads
      0x7fc00000u, 0x7fc00001u, 0x7fffffffu, 0x7f800001u, 0x7fa00000u, 0x7fbfffffu, 0x7fe00000u,
      0x7f800100u, 0x7fd55555u,
  };
  for (uint32_t b : specials) {
    set.addBits(b);
    set.addBits(b | 0x80000000u);
  }

  // Deterministic pseudo-random sample.
  Rng rng{0x46503847u};  // "FP8G"
  const int uniformBits = 150000;
  const int uniformMagnitudes = 150000;
  for (int i = 0; i < uniformBits; i++) set.addBits(rng.next32());
  for (int i = 0; i < uniformMagnitudes; i++) {
    const uint32_t r = rng.next32();
    const uint32_t exponentField = 100u + (rng.next32() % 46u);  // 2^-27 .. 2^18
    set.addBits((r & 0x80000000u) | (exponentField << 23) | (r & 0x007fffffu));
  }

  std::vector<uint32_t> &inputs = set.bits;
  std::sort(inputs.begin(), inputs.end());
  inputs.erase(std::unique(inputs.begin(), inputs.end()), inputs.end());
  const uint32_t n = static_cast<uint32_t>(inputs.size());

  std::vector<uint32_t> deltas(n);
  std::vector<uint8_t> e4m3Sat(n), e4m3NoSat(n), e5m2Sat(n), e5m2NoSat(n);
  std::vector<uint16_t> f16(n), bf16(n);
  uint32_t previous = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint32_t b = inputs[i];
    deltas[i] = b - previous;
    previous = b;
    const float x = floatOf(b);
    e4m3Sat[i] = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
    e4m3NoSat[i] = __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E4M3);
    e5m2Sat[i] = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E5M2);
    e5m2NoSat[i] = __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E5M2);
    f16[i] = halfBits(x);
    bf16[i] = bfloat16Bits(x);
  }

  unsigned char header[32] = {0};
  std::memcpy(header, "FP8GOLD1", 8);
  const uint32_t version = 1;
  const uint16_t nvccMajor = __CUDACC_VER_MAJOR__;
  const uint16_t nvccMinor = __CUDACC_VER_MINOR__;
  const uint32_t cudartVersion = CUDART_VERSION;
  const uint32_t fp8Decodes = 256;
  const uint32_t halfDecodes = 65536;
  std::memcpy(header + 8, &version, 4);
  std::memcpy(header + 12, &nvccMajor, 2);
  std::memcpy(header + 14, &nvccMinor, 2);
  std::memcpy(header + 16, &cudartVersion, 4);
  std::memcpy(header + 20, &n, 4);
  std::memcpy(header + 24, &fp8Decodes, 4);
  std::memcpy(header + 28, &halfDecodes, 4);

  FILE *out = std::fopen(argv[1], "wb");
  if (out == nullptr) {
    std::perror(argv[1]);
    return 1;
  }
  bool ok = writeAll(out, header, sizeof header) && writeAll(out, deltas.data(), 4ull * n) &&
            writeAll(out, e4m3Sat.data(), n) && writeAll(out, e4m3NoSat.data(), n) &&
            writeAll(out, e5m2Sat.data(), n) && writeAll(out, e5m2NoSat.data(), n) &&
            writeAll(out, f16.data(), 2ull * n) && writeAll(out, bf16.data(), 2ull * n) &&
            writeAll(out, decE4M3.data(), 4 * 256) && writeAll(out, decE5M2.data(), 4 * 256) &&
            writeAll(out, decF16.data(), 4 * 65536) && writeAll(out, decBF16.data(), 4 * 65536);
  ok = (std::fclose(out) == 0) && ok;
  if (!ok) {
    std::fprintf(stderr, "fp8_golden: could not write %s\n", argv[1]);
    return 1;
  }
  std::printf("{\"inputs\":%u,\"fp8Decodes\":%u,\"halfDecodes\":%u,\"nvcc\":\"%u.%u\",\"cudart\":%u}\n", n,
              fp8Decodes, halfDecodes, nvccMajor, nvccMinor, cudartVersion);
  return 0;
}
