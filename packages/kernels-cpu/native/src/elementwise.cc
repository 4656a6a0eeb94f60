// The casts to byte formats, f16 and bf16, the decode, amax, and the residual and bias ops. Each
// computes exactly what its TypeScript reference does, in the same precision: a cast rounds
// x * scale to float (the scale is a float32, so the double product is exact and the result is the
// f32 product) and encodes it through the same encode table (byte
// formats) or the same integer rounding (f16, bf16), so its codes are the reference's bit for bit;
// the bias gradient sums each column in double in row order, as the reference does. Work is split
// over the pool in chunks.
#include "elementwise.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

#include "casts.h"
#include "pool.h"

namespace fp8lm {
namespace {

// max |each(i)| over [0, n) on the pool (NaN when any is NaN, 0 when n is 0); each(i) returns the
// float of element i and may do the op's own work on it.
template <typename Each>
double pooled_amax(long n, int threads, Each&& each) {
  // One amax slot per participant (a worker may do no chunk at all: its slot stays 0).
  std::vector<float> amax(64, 0.0f);
  std::vector<char> nan(64, 0);
  for_all(n, threads, [&](int id, long lo, long hi) {
    float m = amax[id];
    bool seen = false;
    for (long i = lo; i < hi; i++) {
      const float a = std::fabs(each(i));
      seen |= a != a;
      m = a > m ? a : m;
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

// The casts: dst[i] = encode(bits of float(src[i] * scale)), with the amax of src fused in.
template <typename Dst, typename Encode>
double cast_with_amax(const float* src, Dst* dst, long n, double scale, int threads, Encode&& encode) {
  return pooled_amax(n, threads, [&](long i) {
    const float v = src[i];
    const float y = static_cast<float>(static_cast<double>(v) * scale);
    uint32_t b;
    std::memcpy(&b, &y, 4);
    dst[i] = encode(b);
    return v;
  });
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
    return table[table8_index(b)];
  });
}

void dequantize_table(const void* codes, bool wide, long n, const float* table, double scale_inv, float* out,
                      int threads) {
  for_all(n, threads, [&](int, long lo, long hi) {
    if (wide) {
      const uint16_t* q = static_cast<const uint16_t*>(codes);
      for (long i = lo; i < hi; i++) out[i] = static_cast<float>(table[q[i]] * scale_inv);
    } else {
      const uint8_t* q = static_cast<const uint8_t*>(codes);
      for (long i = lo; i < hi; i++) out[i] = static_cast<float>(table[q[i]] * scale_inv);
    }
  });
}

double amax_f32(const float* x, long n, int threads) {
  return pooled_amax(n, threads, [&](long i) { return x[i]; });
}

// A float sum is the correctly rounded one, as the reference's double sum rounded to float is.
void residual_forward(const float* a, const float* b, float* out, long n, int threads) {
  for_all(n, threads, [&](int, long lo, long hi) {
    for (long i = lo; i < hi; i++) out[i] = a[i] + b[i];
  });
}

void residual_backward(const float* dout, float* da, float* db, long n, int threads) {
  for_all(n, threads, [&](int, long lo, long hi) {
    for (long i = lo; i < hi; i++) {
      da[i] += dout[i];
      db[i] += dout[i];
    }
  });
}

void bias_add(const float* x, const float* bias, float* out, long rows, long C, int threads) {
  for_all(rows * C, threads, [&](int, long lo, long hi) {
    long c = lo % C;
    for (long i = lo; i < hi; i++) {
      out[i] = x[i] + bias[c];
      if (++c == C) c = 0;
    }
  });
}

void bias_backward(const float* dout, float* dbias, long rows, long C, int threads) {
  // Blocks of columns, each summed over every row (rows outer, so the reads run along memory).
  constexpr long kCols = 256;
  std::lock_guard<std::mutex> lock(pool_mutex());
  std::atomic<long> next{0};
  parallel(rows * C < kParallelMin ? 1 : threads, [&](int) {
    for_chunks(next, C, kCols, [&](long c0, long c1) {
      double sum[kCols] = {};
      for (long r = 0; r < rows; r++) {
        const float* row = dout + r * C;
        for (long c = c0; c < c1; c++) sum[c - c0] += row[c];
      }
      for (long c = c0; c < c1; c++) dbias[c] = static_cast<float>(dbias[c] + sum[c - c0]);
    });
  });
}

}  // namespace fp8lm
