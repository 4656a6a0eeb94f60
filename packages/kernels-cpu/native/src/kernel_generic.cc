// Portable micro-kernel: plain loops the compiler vectorizes for the baseline ISA (SSE2, NEON).
#include "gemm.h"

namespace fp8lm {
namespace {

constexpr int MR = 4;
constexpr int NR = 16;

void kernel(long kc, const float* a, const float* b, float* c, long ldc, float alpha) {
  float acc[MR][NR] = {};
  for (long p = 0; p < kc; p++) {
    for (int i = 0; i < MR; i++) {
      const float ai = a[i];
      for (int j = 0; j < NR; j++) acc[i][j] += ai * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] += alpha * acc[i][j];
}

const Kernel K{"generic", MR, NR, 256, 64, 1024, kernel};

}  // namespace

const Kernel* kernel_generic() { return &K; }

}  // namespace fp8lm
