// Branch-free double-precision exp, log and pow with stated error bounds, for loops the compiler
// vectorizes (C's versions are calls it cannot). A caller that must return the reference's exact
// bits (C's or JavaScript's function, rounded to float) uses them with a Ziv test: it computes the
// fast value r and a bound b on |r - exact|; where float(r - b) and float(r + b) are float(r), the
// exact value rounds to the same float, and the other elements are recomputed with the C function.
// The bounds below were also measured against long double over 10^8 points (see each function).
#pragma once

#include <cstdint>
#include <cstring>

namespace fp8lm {

inline double from_bits(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}

inline uint64_t to_bits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

// c[0] + x·(c[1] + x·(c[2] + ...)), from the highest coefficient down (a loop GCC unrolls).
template <unsigned long N>
inline double horner(double x, const double (&c)[N]) {
  double p = c[N - 1];
  for (unsigned long i = N - 1; i-- > 0;) p = p * x + c[i];
  return p;
}

// e^x for |x| <= 708 within 2^-51 relative (measured: 2^-52.3): x = k·ln 2 + r with |r| <= ln 2 / 2
// (ln 2 in two parts, the first with 42 significant bits, so k·ln2_hi is exact for |k| < 2^11), e^r
// by its Taylor series to r^13 (the rest is below 2^-57), times 2^k built in the exponent bits.
inline double exp_bounded(double x) {
  constexpr double kLog2e = 0x1.71547652b82fep0;
  constexpr double kRound = 0x1.8p52;  // adding it rounds to an integer, kept in the low bits
  constexpr double kLn2Hi = 0x1.62e42fefa3800p-1;
  constexpr double kLn2Lo = 0x1.ef35793c76730p-45;
  const double shifted = x * kLog2e + kRound;
  const double k = shifted - kRound;
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  // 1/j! for j = 0 .. 13.
  constexpr double kTaylor[] = {1.0,          1.0,           0.5,           1.0 / 6.0,       1.0 / 24.0,
                                1.0 / 120.0,  1.0 / 720.0,   1.0 / 5040.0,  1.0 / 40320.0,   1.0 / 362880.0,
                                1.0 / 3628800.0, 1.0 / 39916800.0, 1.0 / 479001600.0, 1.0 / 6227020800.0};
  const double p = horner(r, kTaylor);
  // The low bits of `shifted` hold k (|k| <= 1021), so k + 1023 lands in the exponent field.
  return p * from_bits((to_bits(shifted) + 1023) << 52);
}

// ln y for a normal double y > 0 within 2^-51·(1 + |ln y|) absolute when |log2 y| < 512 (measured:
// 2^-52.1·(1 + |ln y|)): y = m·2^k with m in [sqrt(1/2), sqrt(2)), ln m = 2·atanh(s) for
// s = (m - 1)/(m + 1), |s| <= 0.172, by its series to s^23 (the rest is below 2^-60 of it).
inline double log_bounded(double y) {
  constexpr double kLn2Hi = 0x1.62e42fefa3800p-1;
  constexpr double kLn2Lo = 0x1.ef35793c76730p-45;
  const uint64_t b = to_bits(y);
  // m in [1, 2), halved above sqrt(2) (with k one more); k as a double without an integer conversion.
  const double m1 = from_bits((b & 0x000fffffffffffffu) | 0x3ff0000000000000u);
  const double k1 = from_bits((b >> 52) | 0x4330000000000000u) - (0x1p52 + 1023);
  const bool high = m1 > 0x1.6a09e667f3bcdp0;
  const double m = high ? m1 * 0.5 : m1;
  const double k = high ? k1 + 1 : k1;
  const double s = (m - 1) / (m + 1);
  const double s2 = s * s;
  // 1/(2j + 1) for j = 0 .. 11.
  constexpr double kAtanh[] = {1.0,       1.0 / 3,  1.0 / 5,  1.0 / 7,  1.0 / 9,  1.0 / 11,
                               1.0 / 13,  1.0 / 15, 1.0 / 17, 1.0 / 19, 1.0 / 21, 1.0 / 23};
  const double p = horner(s2, kAtanh);
  return (k * kLn2Hi + 2 * s * p) + k * kLn2Lo;
}

// y^a for normal y > 0 and finite a with |a·ln y| <= 700, within 2^-49·(1 + |a| + |a·ln y|) relative
// (log_bounded's error times |a|, the product's rounding and exp_bounded's; measured: 2^-51.5·(...)).
// `z` gets a·ln y: the caller must check |z| <= 700 (NaN and ±inf fail it) and discard the value
// otherwise, which is then meaningless.
inline double pow_bounded(double y, double a, double& z) {
  z = a * log_bounded(y);
  return exp_bounded(z);
}

// The Ziv test over [lo, hi) in blocks of 512: fast(at, len, y, low, high) writes a block's fast
// floats and the floats of value - bound and value + bound (NaN where the fast form does not apply);
// the elements where those differ are recomputed by exact(index) (NaN compares unequal, so a NaN
// anywhere falls back too). Each block is written to out + at only then, so out may alias the inputs
// that exact still reads.
template <typename Fast, typename Exact>
inline void certified_blocks(long lo, long hi, float* out, Fast&& fast, Exact&& exact) {
  constexpr long kBlock = 512;
  float y[kBlock], low[kBlock], high[kBlock];
  for (long at = lo; at < hi; at += kBlock) {
    const long len = hi - at < kBlock ? hi - at : kBlock;
    fast(at, len, y, low, high);
    for (long i = 0; i < len; i++) {
      if (low[i] != y[i] || high[i] != y[i]) y[i] = exact(at + i);
    }
    std::memcpy(out + at, y, len * sizeof(float));
  }
}

}  // namespace fp8lm
