// GELU (tanh form), forward and backward, bit for bit the reference's double-precision expression
// rounded once to float (src/ops/gelu.ts, whose Math.tanh is the same fdlibm algorithm as C's tanh).
//
// C's tanh costs ~35 ns an element here and does not vectorize. So each block is first evaluated
// with a tanh built from bounded_math.h's exp, which the compiler vectorizes (clones.h), with a
// bound on how far that result can be from the exact one. tanh_fast is within 2^-50 of tanh in
// absolute terms and C's tanh within 2 ulp (2^-52 near ±1), so the two tanh values differ by less
// than 2^-49; the bounds below take 2^-43 times (a bound on) the result's slope in tanh, 64 times
// that, plus the float roundings of the expression. Where the float of (value ± bound) is the float
// of the value, the exact expression rounds to that float too; elsewhere (about 3 elements in 10^5
// forward for unit-variance inputs; NaN, ±inf, and the far negative tail where 1 + tanh cancels) the
// element is recomputed with C's tanh. Built with -ffp-contract=off: the argument of tanh must be
// rounded exactly as the reference rounds it.
#include "gelu.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "bounded_math.h"
#include "clones.h"
#include "pool.h"

namespace fp8lm {
namespace {

const double kGeluScale = std::sqrt(2.0 / M_PI);
constexpr double kCubic = 0.044715;

inline double tanh_argument(double v) { return kGeluScale * (v + kCubic * v * v * v); }

// tanh(u) = 1 - 2 / (e^2u + 1), within 2^-50 absolute. Past |2u| = 80 tanh is ±1 in double, which
// the clamped form gives exactly; NaN passes through (and its element falls back).
inline double tanh_fast(double u) {
  double x = 2 * u;
  x = x < -80 ? -80 : x;
  x = x > 80 ? 80 : x;
  return 1 - 2 / (exp_bounded(x) + 1);
}

// The fast values of a block, and the floats of (value - bound) and (value + bound).
FP8LM_CLONES void forward_block(const float* __restrict x, float* __restrict y, float* __restrict lo,
                                float* __restrict hi, long n) {
  for (long i = 0; i < n; i++) {
    const double v = x[i];
    const double r = 0.5 * v * (1 + tanh_fast(tanh_argument(v)));
    // d r / d tanh = v / 2; the second term covers the roundings of the expression.
    const double bound = std::fabs(v) * 0x1p-44 + std::fabs(r) * 0x1p-47;
    y[i] = static_cast<float>(r);
    lo[i] = static_cast<float>(r - bound);
    hi[i] = static_cast<float>(r + bound);
  }
}

// The local derivative of GELU given its tanh, as the reference writes it.
inline double local_derivative(double v, double th) {
  const double sech2 = 1 - th * th;
  return 0.5 * (1 + th) + 0.5 * v * sech2 * kGeluScale * (1 + 3 * kCubic * v * v);
}

FP8LM_CLONES void backward_block(const float* __restrict dout, const float* __restrict x, const float* __restrict dx,
                                 float* __restrict y, float* __restrict lo, float* __restrict hi,
                                 long n) {
  for (long i = 0; i < n; i++) {
    const double v = x[i];
    const double g = dout[i];
    const double d = dx[i];
    const double local = local_derivative(v, tanh_fast(tanh_argument(v)));
    const double r = d + g * local;
    // |d local / d tanh| <= 1/2 + |v|·sqrt(2/π)·(1 + 3·0.044715·v²) < 1 + |v|·(1 + 0.14·v²).
    const double slope = std::fabs(g) * (1 + std::fabs(v) * (1 + 0.14 * v * v));
    const double bound = slope * 0x1p-43 + (std::fabs(d) + std::fabs(g * local)) * 0x1p-47;
    y[i] = static_cast<float>(r);
    lo[i] = static_cast<float>(r - bound);
    hi[i] = static_cast<float>(r + bound);
  }
}

}  // namespace

void gelu_forward(const float* x, float* out, long n, int threads) {
  for_all(n, threads, [&](int, long lo, long hi) {
    certified_blocks(
        lo, hi, out, [&](long at, long len, float* y, float* l, float* h) { forward_block(x + at, y, l, h, len); },
        [&](long i) {
          const double v = x[i];
          return static_cast<float>(0.5 * v * (1 + std::tanh(tanh_argument(v))));
        });
  });
}

void gelu_backward(const float* dout, const float* x, float* dx, long n, int threads) {
  for_all(n, threads, [&](int, long lo, long hi) {
    certified_blocks(
        lo, hi, dx,
        [&](long at, long len, float* y, float* l, float* h) {
          backward_block(dout + at, x + at, dx + at, y, l, h, len);
        },
        [&](long i) {
          const double v = x[i];
          return static_cast<float>(dx[i] + dout[i] * local_derivative(v, std::tanh(tanh_argument(v))));
        });
  });
}

}  // namespace fp8lm
