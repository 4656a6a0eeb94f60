// AVX-512F micro-kernel, 12 x 32 (24 zmm accumulators). Built with -mavx512f -mfma; only called
// after a runtime CPU check, so the rest of the addon stays baseline x86-64.
#include "gemm.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

namespace fp8lm {
namespace {

constexpr int MR = 12;
constexpr int NR = 32;

void kernel(long kc, const float* a, const float* b, float* c, long ldc, float alpha) {
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int i = 0; i < MR; i++) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (long p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(b);
    const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < MR; i++) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += MR;
    b += NR;
  }
  const __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 12
  for (int i = 0; i < MR; i++) {
    float* ci = c + i * ldc;
    _mm512_storeu_ps(ci, _mm512_fmadd_ps(va, acc[i][0], _mm512_loadu_ps(ci)));
    _mm512_storeu_ps(ci + 16, _mm512_fmadd_ps(va, acc[i][1], _mm512_loadu_ps(ci + 16)));
  }
}

const Kernel K{"avx512", MR, NR, 256, 144, 2048, kernel};

}  // namespace

const Kernel* kernel_avx512() { return &K; }

}  // namespace fp8lm

#else

namespace fp8lm {
const Kernel* kernel_avx512() { return nullptr; }
}  // namespace fp8lm

#endif
