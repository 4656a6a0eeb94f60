// AVX2 + FMA micro-kernel, 6 x 16 (12 ymm accumulators). Built with -mavx2 -mfma; only called
// after a runtime CPU check, so the rest of the addon stays baseline x86-64.
#include "gemm.h"

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

namespace fp8lm {
namespace {

constexpr int MR = 6;
constexpr int NR = 16;

void kernel(long kc, const float* a, const float* b, float* c, long ldc, float alpha) {
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (long p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
    for (int i = 0; i < MR; i++) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha);
#pragma GCC unroll 6
  for (int i = 0; i < MR; i++) {
    float* ci = c + i * ldc;
    _mm256_storeu_ps(ci, _mm256_fmadd_ps(va, acc[i][0], _mm256_loadu_ps(ci)));
    _mm256_storeu_ps(ci + 8, _mm256_fmadd_ps(va, acc[i][1], _mm256_loadu_ps(ci + 8)));
  }
}

const Kernel K{"avx2", MR, NR, 256, 120, 2048, kernel};

}  // namespace

const Kernel* kernel_avx2() { return &K; }

}  // namespace fp8lm

#else

namespace fp8lm {
const Kernel* kernel_avx2() { return nullptr; }
}  // namespace fp8lm

#endif
