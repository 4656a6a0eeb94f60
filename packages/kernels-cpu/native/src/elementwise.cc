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
#include "clones.h"
#include "pool.h"

namespace fp8lm {
namespace {

// The bits of |v|: for floats >= 0 their order is the values' order, and every NaN is above +inf,
// so one unsigned max gives max |v| and says whether there was a NaN, and it vectorizes.
inline uint32_t abs_bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b & 0x7fffffffu;
}

// The value amax_f32 and the casts return for the largest abs_bits: NaN above +inf.
double amax_value(uint32_t top) {
  if (top > 0x7f800000u) return std::numeric_limits<double>::quiet_NaN();
  float m;
  std::memcpy(&m, &top, 4);
  return m;
}

// Runs chunk(lo, hi) -> largest abs_bits of the chunk over [0, n) on the pool; returns amax_value of
// the largest (0 when n is 0).
template <typename Chunk>
double pooled_amax(long n, int threads, Chunk&& chunk) {
  // One slot per participant (a worker may do no chunk at all: its slot stays 0).
  std::vector<uint32_t> top(64, 0);
  for_all(n, threads, [&](int id, long lo, long hi) { top[id] = std::max(top[id], chunk(lo, hi)); });
  return amax_value(*std::max_element(top.begin(), top.end()));
}

// The chunks of the casts: dst[i] = code of fround(src[i] * scale); they return the largest
// abs_bits of src. Loops the compiler vectorizes (clones.h).
FP8LM_CLONES uint32_t amax_chunk(const float* __restrict x, long n) {
  uint32_t top = 0;
  for (long i = 0; i < n; i++) top = std::max(top, abs_bits(x[i]));
  return top;
}

FP8LM_CLONES uint32_t table8_chunk(const float* __restrict src, uint8_t* __restrict dst,
                                   const uint8_t* __restrict table, long n, double scale) {
  uint32_t top = 0;
  for (long i = 0; i < n; i++) {
    const float v = src[i];
    dst[i] = static_cast<uint8_t>(byte_at(table, table8_index(scaled_bits(v, scale))));
    top = std::max(top, abs_bits(v));
  }
  return top;
}

FP8LM_CLONES uint32_t half_chunk(const float* __restrict src, uint16_t* __restrict dst, long n, double scale,
                                 bool bf16, bool saturate) {
  uint32_t top = 0;
  if (bf16) {
    for (long i = 0; i < n; i++) {
      const float v = src[i];
      dst[i] = bfloat16_bits(scaled_bits(v, scale), saturate);
      top = std::max(top, abs_bits(v));
    }
  } else {
    for (long i = 0; i < n; i++) {
      const float v = src[i];
      dst[i] = half_bits(scaled_bits(v, scale), saturate);
      top = std::max(top, abs_bits(v));
    }
  }
  return top;
}

// The sums of the class bits (1: zero, 2: saturated) of a chunk of codes.
template <typename Code>
inline void count_chunk(const Code* __restrict q, const uint8_t* __restrict classes, long n, long& zeros,
                        long& saturated) {
  uint32_t z = 0, s = 0;  // a chunk has at most kElementChunk codes
  for (long i = 0; i < n; i++) {
    const uint32_t c = byte_at(classes, q[i]);
    z += c & 1u;
    s += c >> 1;
  }
  zeros += z;
  saturated += s;
}

FP8LM_CLONES void count_chunk8(const uint8_t* q, const uint8_t* classes, long n, long& zeros, long& saturated) {
  count_chunk(q, classes, n, zeros, saturated);
}

FP8LM_CLONES void count_chunk16(const uint16_t* q, const uint8_t* classes, long n, long& zeros, long& saturated) {
  count_chunk(q, classes, n, zeros, saturated);
}

template <typename Code>
inline void dequantize_chunk(const Code* __restrict q, const float* __restrict table, double scale_inv,
                             float* __restrict out, long n) {
  for (long i = 0; i < n; i++) out[i] = static_cast<float>(table[q[i]] * scale_inv);
}

FP8LM_CLONES void dequantize_chunk8(const uint8_t* q, const float* table, double scale_inv, float* out, long n) {
  dequantize_chunk(q, table, scale_inv, out, n);
}

FP8LM_CLONES void dequantize_chunk16(const uint16_t* q, const float* table, double scale_inv, float* out, long n) {
  dequantize_chunk(q, table, scale_inv, out, n);
}

}  // namespace

void count_codes(const void* codes, bool wide, long n, const uint8_t* classes, long counts[2], int threads) {
  std::vector<long> zeros(64, 0);
  std::vector<long> saturated(64, 0);
  for_all(n, threads, [&](int id, long lo, long hi) {
    if (wide) {
      count_chunk16(static_cast<const uint16_t*>(codes) + lo, classes, hi - lo, zeros[id], saturated[id]);
    } else {
      count_chunk8(static_cast<const uint8_t*>(codes) + lo, classes, hi - lo, zeros[id], saturated[id]);
    }
  });
  counts[0] = counts[1] = 0;
  for (int i = 0; i < 64; i++) {
    counts[0] += zeros[i];
    counts[1] += saturated[i];
  }
}

double quantize_half(const float* src, uint16_t* dst, long n, double scale, bool bf16, bool saturate, int threads) {
  return pooled_amax(n, threads,
                     [&](long lo, long hi) { return half_chunk(src + lo, dst + lo, hi - lo, scale, bf16, saturate); });
}

double quantize_table8(const float* src, uint8_t* dst, const uint8_t* table, long n, double scale, int threads) {
  return pooled_amax(n, threads, [&](long lo, long hi) { return table8_chunk(src + lo, dst + lo, table, hi - lo, scale); });
}

void dequantize_table(const void* codes, bool wide, long n, const float* table, double scale_inv, float* out,
                      int threads) {
  for_all(n, threads, [&](int, long lo, long hi) {
    if (wide) {
      dequantize_chunk16(static_cast<const uint16_t*>(codes) + lo, table, scale_inv, out + lo, hi - lo);
    } else {
      dequantize_chunk8(static_cast<const uint8_t*>(codes) + lo, table, scale_inv, out + lo, hi - lo);
    }
  });
}

double amax_f32(const float* x, long n, int threads) {
  return pooled_amax(n, threads, [&](long lo, long hi) { return amax_chunk(x + lo, hi - lo); });
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
