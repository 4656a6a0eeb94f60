// GELU (tanh form) and the casts to byte formats, f16 and bf16. Each computes exactly what its
// TypeScript reference does, in the same precision: GELU in double, rounded once to float; a cast
// rounds x * scale to float (the scale is a float32, so the double product is exact and the result is
// the f32 product) and encodes it through the same encode table (byte formats) or the same integer
// rounding (f16, bf16), so its codes are the reference's bit for bit. Work is split over the pool in
// chunks.
#include "elementwise.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "pool.h"

namespace fp8lm {
namespace {

constexpr long kChunk = 1 << 14;
// Below this many elements an op stays on the calling thread.
constexpr long kParallelMin = 1 << 15;

inline int threads_for(long n, int threads) { return n < kParallelMin ? 1 : threads; }

const double kGeluScale = std::sqrt(2.0 / M_PI);
constexpr double kCubic = 0.044715;

template <typename Body>
void for_all(long n, int threads, Body&& body) {
  std::lock_guard<std::mutex> lock(pool_mutex());
  std::atomic<long> next{0};
  parallel(threads_for(n, threads), [&](int id) { for_chunks(next, n, kChunk, [&](long lo, long hi) { body(id, lo, hi); }); });
}

}  // namespace

void gelu_forward(const float* x, float* out, long n, int threads) {
  for_all(n, threads, [&](int, long lo, long hi) {
    for (long i = lo; i < hi; i++) {
      const double v = x[i];
      out[i] = static_cast<float>(0.5 * v * (1 + std::tanh(kGeluScale * (v + kCubic * v * v * v))));
    }
  });
}

void gelu_backward(const float* dout, const float* x, float* dx, long n, int threads) {
  for_all(n, threads, [&](int, long lo, long hi) {
    for (long i = lo; i < hi; i++) {
      const double v = x[i];
      const double th = std::tanh(kGeluScale * (v + kCubic * v * v * v));
      const double sech2 = 1 - th * th;
      const double local = 0.5 * (1 + th) + 0.5 * v * sech2 * kGeluScale * (1 + 3 * kCubic * v * v);
      dx[i] = static_cast<float>(dx[i] + dout[i] * local);
    }
  });
}

namespace {

uint16_t half_bits(uint32_t b, bool saturate) {
  const uint32_t sign = (b >> 16) & 0x8000u;
  const uint32_t u = b & 0x7fffffffu;
  if (u > 0x7f800000u) return 0x7fff;
  if (u >= 0x477ff000u) return static_cast<uint16_t>(sign | (saturate ? 0x7bffu : 0x7c00u));
  if (u >= 0x38800000u) {
    uint32_t h = (u - 0x38000000u) >> 13;
    const uint32_t rest = u & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u) == 1u)) h++;
    return static_cast<uint16_t>(sign | h);
  }
  if (u <= 0x33000000u) return static_cast<uint16_t>(sign);
  const uint32_t e = u >> 23;
  const uint32_t mant = (u & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126 - e;
  uint32_t h = mant >> shift;
  const uint32_t rest = mant & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (h & 1u) == 1u)) h++;
  return static_cast<uint16_t>(sign | h);
}

uint16_t bfloat16_bits(uint32_t b, bool saturate) {
  if ((b & 0x7fffffffu) > 0x7f800000u) return 0x7fff;
  const uint32_t h = static_cast<uint32_t>((static_cast<uint64_t>(b) + 0x7fffu + ((b >> 16) & 1u)) >> 16);
  if (saturate && (h & 0x7fffu) == 0x7f80u) return static_cast<uint16_t>((h & 0x8000u) | 0x7f7fu);
  return static_cast<uint16_t>(h);
}

// The amax reduction and the scaled f32 bits shared by the casts: encode(bits) per element.
template <typename Dst, typename Encode>
double cast_with_amax(const float* src, Dst* dst, long n, double scale, int threads, Encode&& encode) {
  // One amax slot per participant (a worker may do no chunk at all: its slot stays 0).
  std::vector<float> amax(64, 0.0f);
  std::vector<char> nan(64, 0);
  for_all(n, threads, [&](int id, long lo, long hi) {
    float m = amax[id];
    bool seen = false;
    for (long i = lo; i < hi; i++) {
      const float v = src[i];
      const float a = std::fabs(v);
      seen |= a != a;
      m = a > m ? a : m;
      const float y = static_cast<float>(static_cast<double>(v) * scale);
      uint32_t b;
      std::memcpy(&b, &y, 4);
      dst[i] = encode(b);
    }
    amax[id] = m;
    if (seen) nan[id] = 1;
  });
  float m = 0;
  for (int i = 0; i < 64; i++) {
    if (nan[i]) return std::numeric_limits<double>::quiet_NaN();
    m = std::max(m, amax[i]);
  }
  return m;
}

}  // namespace

void count_codes(const void* codes, bool wide, long n, const uint8_t* classes, long counts[2], int threads) {
  std::vector<long> zeros(64, 0);
  std::vector<long> saturated(64, 0);
  for_all(n, threads, [&](int id, long lo, long hi) {
    long z = 0;
    long s = 0;
    for (long i = lo; i < hi; i++) {
      const uint8_t c = classes[wide ? static_cast<const uint16_t*>(codes)[i] : static_cast<const uint8_t*>(codes)[i]];
      z += c & 1;
      s += c >> 1;
    }
    zeros[id] += z;
    saturated[id] += s;
  });
  counts[0] = counts[1] = 0;
  for (int i = 0; i < 64; i++) {
    counts[0] += zeros[i];
    counts[1] += saturated[i];
  }
}

double quantize_half(const float* src, uint16_t* dst, long n, double scale, bool bf16, bool saturate, int threads) {
  if (bf16) return cast_with_amax(src, dst, n, scale, threads, [&](uint32_t b) { return bfloat16_bits(b, saturate); });
  return cast_with_amax(src, dst, n, scale, threads, [&](uint32_t b) { return half_bits(b, saturate); });
}

double quantize_table8(const float* src, uint8_t* dst, const uint8_t* table, long n, double scale, int threads) {
  return cast_with_amax(src, dst, n, scale, threads, [&](uint32_t b) {
    return table[((b >> 15) & 0x1fffeu) | (((b & 0xffffu) + 0xffffu) >> 16)];
  });
}

}  // namespace fp8lm
