// fp8lm fast CPU path: GEMM driver and micro-kernel interface.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fp8lm {

// How an operand's stored elements become float32 while they are packed.
enum SrcKind : int {
  SRC_F32 = 0,      // float32 as is
  SRC_BF16 = 1,     // bfloat16 bits: value = bits << 16 (exact)
  SRC_TABLE16 = 2,  // 16-bit codes through a 65536-entry float32 table (f16)
  SRC_TABLE8 = 3,   // 8-bit codes through a 256-entry float32 table (e4m3, e5m2)
};

// One GEMM input as stored: rows x cols, row-major. op(X) is X or its transpose.
struct Operand {
  const void* data;
  int kind;              // SrcKind
  const float* table;    // decode table for SRC_TABLE8/16, else null
  bool trans;            // used transposed
  long rows, cols;       // stored layout
  const float* blocks;   // block scaleInv grid [ceil(rows/br), ceil(cols/bc)], or null
  long br, bc;           // block extents
};

struct GemmArgs {
  Operand a, b;
  float* c;              // [m, n] row-major, float32
  long m, n, k;
  float alpha, beta;     // C = alpha * op(A) op(B) + beta * C + bias
  const float* bias;     // [n] or null
};

// C[i*ldc + j] += alpha * sum_p A[p*mr + i] * B[p*nr + j] for a packed mr x nr tile over kc.
using KernelFn = void (*)(long kc, const float* a, const float* b, float* c, long ldc, float alpha);

struct Kernel {
  const char* name;
  int mr, nr;       // register tile
  long kc, mc, nc;  // cache blocking (kc depth, mc rows, nc columns)
  KernelFn fn;
};

// Each returns null when the kernel was not compiled for this architecture.
const Kernel* kernel_avx512();
const Kernel* kernel_avx2();
const Kernel* kernel_generic();

// Runs the GEMM with `threads` threads (1 = the calling thread only).
void gemm(const GemmArgs& args, const Kernel& kernel, int threads);

}  // namespace fp8lm
