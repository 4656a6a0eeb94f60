// Fused AdamW in two stages (kernels-cpu's adamwStats / adamwApply): the same update as
// src/ops/adamw.ts, in the same order and precision (decode to float, update in double, round each
// new value to float), so stats and codes are the reference's bit for bit; with grouped second
// moments, up to the last bit of the C library's pow where the reference has JavaScript's.
#pragma once

#include <cstdint>

namespace fp8lm {

// How one state tensor is read and, in stage 2, written.
struct StateTensor {
  void* data = nullptr;
  // Stored element: 0 float, 1 a 16-bit code, 2 a byte code.
  int stored = 0;
  // Decode table of a code dtype (65536 or 256 floats, fp8-format's); null for float.
  const float* decode = nullptr;
  // x = float(decode(q) * scale_inv).
  double scale_inv = 1;
  // Stage 2's cast of float(x * scale): 0 float, 1 f16, 2 bf16, 3 byte format through `encode`.
  int cast = 0;
  // fp8-format's saturating 2^17-entry encode table, for cast 3.
  const uint8_t* encode = nullptr;
  double scale = 1;
};

// A grouped E4M3 second moment (COAT's range expansion): v = max · (decode(q) / 448)^(1/k) per group.
struct MomentGroups {
  long size = 1;
  // Per group: the max and the exponent k the stored codes were written with.
  const float* max = nullptr;
  const float* exponent = nullptr;
  // Stage 1's output: per group [max, smallest non-zero] of the new v (0 for none).
  float* stats = nullptr;
  // Stage 2's input: per group the max and exponent to write the new codes with.
  const float* next_max = nullptr;
  const float* next_exponent = nullptr;
};

struct AdamWHyper {
  double lr, beta1, beta2, eps, weight_decay, correction1, correction2, grad_multiplier;
  bool decoupled;
};

// Stage 1: stats[0..2] = max |x| of the new master, m and v (NaN if any is NaN), and with `groups`
// its per-group stats of the new v; writes no state.
void adamw_stats(const StateTensor& master, const StateTensor& grad, const StateTensor& m, const StateTensor& v,
                 const MomentGroups* groups, const AdamWHyper& h, long n, float stats[3], int threads);

// Stage 2: recomputes the update and writes master, m and v with their casts (a grouped v with its
// next max and exponent per group, its cast through the E4M3 table at scale 1).
void adamw_apply(StateTensor& master, const StateTensor& grad, StateTensor& m, StateTensor& v,
                 const MomentGroups* groups, const AdamWHyper& h, long n, int threads);

}  // namespace fp8lm
