// Fast paths of the element-wise ops that dominate an FP8 training step after the GEMMs: GELU forward
// and backward, and the table-driven cast to a byte format with its fused amax (same semantics as
// src/ops/gelu.ts and fp8-format's quantize).
#pragma once

#include <cstdint>

namespace fp8lm {

void gelu_forward(const float* x, float* out, long n, int threads);

void gelu_backward(const float* dout, const float* x, float* dx, long n, int threads);

// dst[i] = table[index(fround(src[i] * scale))], where index is the top 16 bits of the f32 times 2
// plus 1 when any of the low 16 bits is set (fp8-format's encodeTable). Returns max |src[i]| (NaN when
// any element is NaN, 0 when n is 0).
double quantize_table8(const float* src, uint8_t* dst, const uint8_t* table, long n, double scale, int threads);

}  // namespace fp8lm
