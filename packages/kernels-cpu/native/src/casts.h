// The casts of an f32 (given as its bits) to f16, bf16 and, through fp8-format's encode table, to the
// byte formats: the same integer rounding as fp8-format's float32BitsToHalf / float32BitsToBFloat16
// and encodeTableIndex, so every code is the TypeScript codec's bit for bit.
#pragma once

#include <cstdint>
#include <cstring>

namespace fp8lm {

// Round to nearest even; NaN → 0x7fff; past the largest finite: ±max with `saturate`, else ±inf.
// Branch-free (every case is computed, then selected with ?: — GCC 12 vectorizes those, not a mix of
// & and | on comparisons), so loops over it vectorize; checked against the branching form on all
// 2^32 inputs, both saturate modes. Round half to even: up when rest + lowest kept bit > half.
inline uint16_t half_bits(uint32_t b, bool saturate) {
  const uint32_t sign = (b >> 16) & 0x8000u;
  const uint32_t u = b & 0x7fffffffu;
  // Normal results: drop 13 mantissa bits, round to nearest even (a carry may reach the exponent).
  const uint32_t n = (u - 0x38000000u) >> 13;
  const uint32_t n_rest = u & 0x1fffu;
  const uint32_t normal = n + (n_rest + (n & 1u) > 0x1000u ? 1u : 0u);
  // Subnormal results: the implicit bit back, shifted right by 126 - exponent (clamped to 1..31 for
  // the lanes that take another result, where it would be out of range).
  const int32_t by = 126 - static_cast<int32_t>(u >> 23);
  const uint32_t shift = static_cast<uint32_t>(by < 1 ? 1 : by > 31 ? 31 : by);
  const uint32_t mant = (u & 0x7fffffu) | 0x800000u;
  const uint32_t s = mant >> shift;
  const uint32_t s_rest = mant & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1u);
  const uint32_t subnormal = s + (s_rest + (s & 1u) > half ? 1u : 0u);
  uint32_t h = u <= 0x33000000u ? 0u : subnormal;
  h = u >= 0x38800000u ? normal : h;
  h = u >= 0x477ff000u ? (saturate ? 0x7bffu : 0x7c00u) : h;
  return static_cast<uint16_t>(u > 0x7f800000u ? 0x7fffu : sign | h);
}

// Round to nearest even; NaN → 0x7fff; with `saturate`, ±inf from rounding becomes ±max. Branch-free
// too (32-bit arithmetic: only a NaN could carry out of it, and NaN takes its own result).
inline uint16_t bfloat16_bits(uint32_t b, bool saturate) {
  const uint32_t h = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
  const uint32_t r = saturate && (h & 0x7fffu) == 0x7f80u ? (h & 0x8000u) | 0x7f7fu : h;
  return static_cast<uint16_t>((b & 0x7fffffffu) > 0x7f800000u ? 0x7fffu : r);
}

// The bits of float(x · scale): the f32 a cast encodes (scale a float32 value, so the double product
// is exact and this is the f32 product).
inline uint32_t scaled_bits(float x, double scale) {
  const float y = static_cast<float>(x * scale);
  uint32_t b;
  std::memcpy(&b, &y, 4);
  return b;
}

// Index of an f32 into fp8-format's 2^17-entry encode table: the top 16 bits times 2, plus 1 when
// any of the low 16 bits is set.
inline uint32_t table8_index(uint32_t b) { return ((b >> 15) & 0x1fffeu) | (((b & 0xffffu) + 0xffffu) >> 16); }

// table[i] of a byte table whose length is a multiple of 4, read through the 4-byte word holding it:
// x86 has no byte gather, and this form lets the vectorizer use 32-bit ones (little-endian only).
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
typedef uint32_t __attribute__((may_alias, aligned(1))) table_word;
inline uint32_t byte_at(const uint8_t* table, uint32_t i) {
  return (*reinterpret_cast<const table_word*>(table + (i & ~3u)) >> ((i & 3u) * 8u)) & 0xffu;
}
#else
inline uint32_t byte_at(const uint8_t* table, uint32_t i) { return table[i]; }
#endif

}  // namespace fp8lm
