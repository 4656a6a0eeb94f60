// Fast paths of the element-wise ops that dominate an FP8 training step after the GEMMs and GELU
// (gelu.h): the FP8 diagnostics' code counts, the casts to byte formats (table-driven), f16 and
// bf16 with their fused amax, the decode through a table, amax alone, and the residual and bias ops (same semantics as
// src/ops/{amax,residual,bias}.ts and fp8-format's quantize; `scale` must be a float32 value).
#pragma once

#include <cstdint>

namespace fp8lm {

// dst[i] = table[index(fround(src[i] * scale))], where index is the top 16 bits of the f32 times 2
// plus 1 when any of the low 16 bits is set (fp8-format's encodeTable). Returns max |src[i]| (NaN when
// any element is NaN, 0 when n is 0).
double quantize_table8(const float* src, uint8_t* dst, const uint8_t* table, long n, double scale, int threads);

// dst[i] = the f16 (bf16 when `bf16`) code of fround(src[i] * scale), rounded to nearest even, with
// fp8-format's float32BitsToHalf / float32BitsToBFloat16 semantics (NaN → 0x7fff; past the largest
// finite: ±max with `saturate`, else ±inf). Returns max |src[i]| as quantize_table8 does.
double quantize_half(const float* src, uint16_t* dst, long n, double scale, bool bf16, bool saturate, int threads);

// Sums classes[codes[i]] over the codes of a byte format (u8) or a 16-bit format (u16): class 1 counts
// into zeros, class 2 into saturated, 0 into neither (kernels-cpu's countCodes, its class table).
void count_codes(const void* codes, bool wide, long n, const uint8_t* classes, long counts[2], int threads);

// out[i] = float(table[codes[i]] * scale_inv) for byte codes (u8) or 16-bit codes (u16) (fp8-format's
// dequantize through its decode table; `scale_inv` must be a float32 value).
void dequantize_table(const void* codes, bool wide, long n, const float* table, double scale_inv, float* out,
                      int threads);

// max |x[i]| (NaN when any element is NaN, 0 when n is 0).
double amax_f32(const float* x, long n, int threads);

// out[i] = a[i] + b[i] (out may be a or b).
void residual_forward(const float* a, const float* b, float* out, long n, int threads);

// da[i] += dout[i], then db[i] += dout[i].
void residual_backward(const float* dout, float* da, float* db, long n, int threads);

// out[r * C + c] = x[r * C + c] + bias[c] (out may be x).
void bias_add(const float* x, const float* bias, float* out, long rows, long C, int threads);

// dbias[c] += the sum over rows of dout[r * C + c], summed in double in row order.
void bias_backward(const float* dout, float* dbias, long rows, long C, int threads);

}  // namespace fp8lm
