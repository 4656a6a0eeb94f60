// GELU (tanh form) and the byte-format cast. Each computes exactly what its TypeScript reference does,
// in the same precision: GELU in double, rounded once to float; the cast rounds x * scale to float from
// a double product (as JS's Float32Array store does) and indexes the same encode table, so its codes
// are the reference's bit for bit. Work is split over the pool in chunks.
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

double quantize_table8(const float* src, uint8_t* dst, const uint8_t* table, long n, double scale, int threads) {
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
      dst[i] = table[((b >> 15) & 0x1fffeu) | (((b & 0xffffu) + 0xffffu) >> 16)];
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

}  // namespace fp8lm
