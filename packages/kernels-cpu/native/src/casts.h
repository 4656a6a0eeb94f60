// The casts of an f32 (given as its bits) to f16, bf16 and, through fp8-format's encode table, to the
// byte formats: the same integer rounding as fp8-format's float32BitsToHalf / float32BitsToBFloat16
// and encodeTableIndex, so every code is the TypeScript codec's bit for bit.
#pragma once

#include <cstdint>

namespace fp8lm {

// Round to nearest even; NaN → 0x7fff; past the largest finite: ±max with `saturate`, else ±inf.
inline uint16_t half_bits(uint32_t b, bool saturate) {
  const uint32_t sign = (b >> 16) & 0x8000u;
  const uint32_t u = b & 0x7fffffffu;
  if (u > 0x7f800000u) return 0x7fff;
  if (u >= 0x477ff000u) return static_cast<uint16_t>(sign | (saturate ? 0x7bffu : 0x7c00u));
  if (u >= 0x38800000u) {
    uint32_t h = (u - 0x38000000u) >> 13;
    const uint32_t rest = u & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u) == 1u)) h++;
    return static_cast<uint16_t>(sign | h);
  }
  if (u <= 0x33000000u) return static_cast<uint16_t>(sign);
  const uint32_t e = u >> 23;
  const uint32_t mant = (u & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126 - e;
  uint32_t h = mant >> shift;
  const uint32_t rest = mant & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1u);
  if (rest > half || (rest == half && (h & 1u) == 1u)) h++;
  return static_cast<uint16_t>(sign | h);
}

inline uint16_t bfloat16_bits(uint32_t b, bool saturate) {
  if ((b & 0x7fffffffu) > 0x7f800000u) return 0x7fff;
  const uint32_t h = static_cast<uint32_t>((static_cast<uint64_t>(b) + 0x7fffu + ((b >> 16) & 1u)) >> 16);
  if (saturate && (h & 0x7fffu) == 0x7f80u) return static_cast<uint16_t>((h & 0x8000u) | 0x7f7fu);
  return static_cast<uint16_t>(h);
}

// Index of an f32 into fp8-format's 2^17-entry encode table: the top 16 bits times 2, plus 1 when
// any of the low 16 bits is set.
inline uint32_t table8_index(uint32_t b) { return ((b >> 15) & 0x1fffeu) | (((b & 0xffffu) + 0xffffu) >> 16); }

}  // namespace fp8lm
