// Fused AdamW (see adamw.h). Each pool chunk is processed in blocks of kBlock elements: the four
// state tensors are decoded into float blocks (one loop per stored kind, outside the update), the
// update runs over the blocks, and its results are reduced (stage 1) or cast back (stage 2). With
// grouped moments the chunks are whole groups, so each group's stats have one writer. Built with
// -ffp-contract=off: a fused multiply-add would round differently from the reference.
#include "adamw.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "bounded_math.h"
#include "casts.h"
#include "clones.h"
#include "pool.h"

namespace fp8lm {
namespace {

constexpr long kBlock = 1024;
// E4M3's largest finite value, the top of a grouped moment's codes.
constexpr double kE4M3Max = 448;

// JavaScript's x ** e: C's pow but for |x| = 1 with an infinite or NaN exponent, which is NaN there.
inline double js_pow(double x, double e) {
  if (std::fabs(x) == 1 && !std::isfinite(e)) return std::numeric_limits<double>::quiet_NaN();
  return std::pow(x, e);
}

// Calls fn(group, from, to) for each run [from, to) of block indices inside one group, for the
// block of len elements at element lo.
template <typename Fn>
void group_runs(long size, long lo, long len, Fn&& fn) {
  for (long i = 0; i < len;) {
    const long group = (lo + i) / size;
    const long to = std::min(len, (group + 1) * size - lo);
    fn(group, i, to);
    i = to;
  }
}

// Pool chunks of whole groups (about kElementChunk elements, or one group if larger).
long chunk_for(const MomentGroups* groups) {
  if (groups == nullptr) return kElementChunk;
  const long size = groups->size;
  return size >= kElementChunk ? size : (kElementChunk / size) * size;
}

// dst[0, len) = float(decode(t[lo + i]) * scale_inv), as kernels-cpu's loadChunk.
FP8LM_CLONES void load(const StateTensor& t, long lo, long len, float* __restrict dst) {
  const double s = t.scale_inv;
  if (t.stored == 0) {
    const float* x = static_cast<const float*>(t.data) + lo;
    for (long i = 0; i < len; i++) dst[i] = static_cast<float>(x[i] * s);
  } else if (t.stored == 1) {
    const uint16_t* q = static_cast<const uint16_t*>(t.data) + lo;
    for (long i = 0; i < len; i++) dst[i] = static_cast<float>(t.decode[q[i]] * s);
  } else {
    const uint8_t* q = static_cast<const uint8_t*>(t.data) + lo;
    for (long i = 0; i < len; i++) dst[i] = static_cast<float>(t.decode[q[i]] * s);
  }
}


// t[lo + i] = cast(float(src[i] * scale)), as kernels-cpu's storeChunk (saturating casts).
FP8LM_CLONES void store(StateTensor& t, long lo, long len, const float* __restrict src) {
  const double s = t.scale;
  switch (t.cast) {
    case 0: {
      float* x = static_cast<float*>(t.data) + lo;
      for (long i = 0; i < len; i++) x[i] = static_cast<float>(src[i] * s);
      break;
    }
    case 1: {
      uint16_t* q = static_cast<uint16_t*>(t.data) + lo;
      for (long i = 0; i < len; i++) q[i] = half_bits(scaled_bits(src[i], s), true);
      break;
    }
    case 2: {
      uint16_t* q = static_cast<uint16_t*>(t.data) + lo;
      for (long i = 0; i < len; i++) q[i] = bfloat16_bits(scaled_bits(src[i], s), true);
      break;
    }
    default: {
      uint8_t* q = static_cast<uint8_t*>(t.data) + lo;
      for (long i = 0; i < len; i++) q[i] = t.encode[table8_index(scaled_bits(src[i], s))];
    }
  }
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A base bounded_math.h's pow takes: a positive normal double (one unsigned compare of its bits).
inline bool valid_base(double y) { return to_bits(y) - 0x0010000000000000u < 0x7fe0000000000000u; }

// The fast values of a block, and the floats of (value - bound) and (value + bound); NaN for `low`
// where z says the fast form does not apply.
template <typename Fast>
FP8LM_CLONES void grouped_block(const float* __restrict x, float* __restrict y, float* __restrict low,
                                float* __restrict high, long n, Fast& fast) {
  for (long i = 0; i < n; i++) {
    double z, bound;
    const double r = fast(x[i], z, bound);
    y[i] = static_cast<float>(r);
    low[i] = std::fabs(z) <= 700 ? static_cast<float>(r - bound) : static_cast<float>(kNaN);
    high[i] = static_cast<float>(r + bound);
  }
}

// v[0, n) = float(f(v[i])) for a grouped moment's pow expression f, whose exact form `exact` calls C's
// pow: through `fast` (bounded_math.h's pow, vectorized: fast(x, z, bound) returns the value, its
// bound and z = a·ln y) and certified_blocks, so `exact` runs only where the bound leaves the float in
// doubt, where y is not a positive normal or |z| > 700. pow is most of the O2+fp8v step otherwise.
template <typename Fast, typename Exact>
inline void grouped_values(float* v, long n, Fast&& fast, Exact&& exact) {
  certified_blocks(
      0, n, v,
      [&](long at, long len, float* y, float* low, float* high) { grouped_block(v + at, y, low, high, len, fast); },
      [&](long i) { return exact(v[i]); });
}

// The reference's update of len elements in place (p, m, v hold the decoded master and moments).
template <bool kDecoupled>
inline void update_elements(const AdamWHyper& h, long len, const float* __restrict g, float* __restrict p,
                            float* __restrict m, float* __restrict v) {
  // Locals, so the compiler sees that the stores cannot change them.
  const double lr = h.lr, beta1 = h.beta1, beta2 = h.beta2, eps = h.eps, decay = h.weight_decay;
  const double correction1 = h.correction1, correction2 = h.correction2, multiplier = h.grad_multiplier;
  for (long i = 0; i < len; i++) {
    const double p0 = p[i];
    double gi = g[i] * multiplier;
    if (!kDecoupled) gi += decay * p0;
    const double mi = beta1 * m[i] + (1 - beta1) * gi;
    const double vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    const double step = mi / correction1 / (std::sqrt(vi / correction2) + eps);
    // `step + 0.0` as the reference writes it: it turns a -0 step into +0.
    p[i] = static_cast<float>(p0 - lr * (kDecoupled ? step + decay * p0 : step + 0.0));
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
  }
}

// One copy per decay kind, so the loop has no branch and vectorizes (sqrt too: -fno-math-errno).
FP8LM_CLONES void update_block(const AdamWHyper& h, long len, const float* __restrict g, float* __restrict p,
                               float* __restrict m, float* __restrict v) {
  if (h.decoupled) {
    update_elements<true>(h, len, g, p, m, v);
  } else {
    update_elements<false>(h, len, g, p, m, v);
  }
}

// The new master, m and v of [lo, lo + len) into p, m, v (g is scratch): src/ops/adamw.ts's
// computeChunk (and loadGrouped), expression for expression.
void update(const StateTensor& master, const StateTensor& grad, const StateTensor& mt, const StateTensor& vt,
            const MomentGroups* groups, const AdamWHyper& h, long lo, long len, float* g, float* p, float* m,
            float* v) {
  load(grad, lo, len, g);
  load(master, lo, len, p);
  load(mt, lo, len, m);
  load(vt, lo, len, v);
  if (groups != nullptr) {
    group_runs(groups->size, lo, len, [&](long k, long from, long to) {
      const double max = groups->max[k];
      const double inv = 1 / static_cast<double>(groups->exponent[k]);
      grouped_values(v + from, to - from, [&](double x, double& z, double& bound) {
        // Branch-free (so it vectorizes): the zero case is selected afterwards.
        const double y = x / kE4M3Max;
        const double r = max * pow_bounded(y, inv, z);
        const bool zero = y == 0;
        z = valid_base(y) ? z : kNaN;
        z = zero ? 0.0 : z;
        bound = zero ? 0.0 : std::fabs(r) * 0x1p-43 * (1 + std::fabs(inv) + std::fabs(z));
        return zero ? 0.0 : r;
      }, [&](double x) {
        const double y = x / kE4M3Max;
        return y == 0 ? 0.0f : static_cast<float>(max * js_pow(y, inv));
      });
    });
  }
  update_block(h, len, g, p, m, v);
}

struct Blocks {
  float g[kBlock], p[kBlock], m[kBlock], v[kBlock];
};

// Folds a block of the new v into its groups' [max, smallest non-zero] (the reference's Math.max
// keeps a NaN once it has one; the smallest starts at +inf).
void group_stats(const MomentGroups& groups, long lo, long len, const float* v) {
  group_runs(groups.size, lo, len, [&](long k, long from, long to) {
    float max = groups.stats[2 * k], min = groups.stats[2 * k + 1];
    for (long i = from; i < to; i++) {
      const float x = v[i];
      max = x != x || x > max ? x : max;
      if (x > 0 && x < min) min = x;
    }
    groups.stats[2 * k] = max;
    groups.stats[2 * k + 1] = min;
  });
}

// Re-expresses a block of the new v with each group's next max and exponent, as stored codes' values.
void regroup(const MomentGroups& groups, long lo, long len, float* v) {
  group_runs(groups.size, lo, len, [&](long k, long from, long to) {
    const double max = groups.next_max[k];
    const double e = groups.next_exponent[k];
    const bool positive_power = e > 0;
    if (!(max > 0)) {
      std::fill(v + from, v + to, 0.0f);
      return;
    }
    grouped_values(v + from, to - from, [&](double x, double& z, double& bound) {
      const double y = x / max;
      const double r = pow_bounded(y, e, z) * kE4M3Max;
      // +0 to a positive power is +0 (a -0, or a power that is not positive, takes pow itself).
      const bool zero = positive_power && to_bits(y) == 0;
      z = valid_base(y) ? z : kNaN;
      z = zero ? 0.0 : z;
      bound = zero ? 0.0 : std::fabs(r) * 0x1p-43 * (1 + std::fabs(e) + std::fabs(z));
      return zero ? 0.0 : r;
    }, [&](double x) { return static_cast<float>(js_pow(x / max, e) * kE4M3Max); });
  });
}

}  // namespace

void adamw_stats(const StateTensor& master, const StateTensor& grad, const StateTensor& m, const StateTensor& v,
                 const MomentGroups* groups, const AdamWHyper& h, long n, float stats[3], int threads) {
  // Per participant (a worker may take no chunk: its slots stay 0): the three maxes, and a NaN mask
  // (bit j: value j was NaN somewhere), since the reference's Math.max turns a maximum NaN for good.
  std::vector<float> maxes(3 * 64, 0.0f);
  std::vector<int> nan(64, 0);
  const long count = groups == nullptr ? 0 : (n + groups->size - 1) / groups->size;
  for (long k = 0; k < count; k++) {
    groups->stats[2 * k] = 0;
    groups->stats[2 * k + 1] = std::numeric_limits<float>::infinity();
  }
  for_all_chunks(n, chunk_for(groups), threads, [&](int id, long lo, long hi) {
    Blocks b;
    float top[3] = {maxes[3 * id], maxes[3 * id + 1], maxes[3 * id + 2]};
    int seen = 0;
    for (long at = lo; at < hi; at += kBlock) {
      const long len = std::min(kBlock, hi - at);
      update(master, grad, m, v, groups, h, at, len, b.g, b.p, b.m, b.v);
      const float* x[3] = {b.p, b.m, b.v};
      for (int j = 0; j < 3; j++) {
        float t = top[j];
        bool bad = false;
        for (long i = 0; i < len; i++) {
          const float a = std::fabs(x[j][i]);
          bad |= a != a;
          t = a > t ? a : t;
        }
        top[j] = t;
        if (bad) seen |= 1 << j;
      }
      if (groups != nullptr) group_stats(*groups, at, len, b.v);
    }
    for (int j = 0; j < 3; j++) maxes[3 * id + j] = top[j];
    nan[id] |= seen;
  });
  for (long k = 0; k < count; k++)
    if (groups->stats[2 * k + 1] == std::numeric_limits<float>::infinity()) groups->stats[2 * k + 1] = 0;
  for (int j = 0; j < 3; j++) {
    float t = 0;
    bool bad = false;
    for (int id = 0; id < 64; id++) {
      t = std::max(t, maxes[3 * id + j]);
      bad |= (nan[id] >> j) & 1;
    }
    stats[j] = bad ? std::numeric_limits<float>::quiet_NaN() : t;
  }
}

void adamw_apply(StateTensor& master, const StateTensor& grad, StateTensor& m, StateTensor& v,
                 const MomentGroups* groups, const AdamWHyper& h, long n, int threads) {
  for_all_chunks(n, chunk_for(groups), threads, [&](int, long lo, long hi) {
    Blocks b;
    for (long at = lo; at < hi; at += kBlock) {
      const long len = std::min(kBlock, hi - at);
      // Every element's update reads only its own state, so writing a block back is safe.
      update(master, grad, m, v, groups, h, at, len, b.g, b.p, b.m, b.v);
      store(master, at, len, b.p);
      store(m, at, len, b.m);
      if (groups != nullptr) regroup(*groups, at, len, b.v);
      store(v, at, len, b.v);
    }
  });
}

}  // namespace fp8lm
