// GEMM driver: decode-fused packing, cache blocking, both cores through the pool (pool.h).
//
// Both operands are packed once per call into the micro-kernel's panel layout; the packing decodes
// FP8 / f16 codes through a table (bf16 by a shift) and multiplies block scales in, so FP8 inputs are
// read once as bytes and never materialized as a full f32 matrix in the caller's layout. Per-tensor
// scales are folded into alpha by the caller.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "gemm.h"

#include "clones.h"
#include "pool.h"

namespace fp8lm {
namespace {

// ---------------------------------------------------------------------------------------------
// Scratch for the packed operands, 64-byte aligned, grown on demand (one GEMM at a time).

struct Scratch {
  float* ptr = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      std::free(ptr);
      size_t bytes = ((std::max<size_t>(n, 1) * sizeof(float)) + 63) / 64 * 64;
      ptr = static_cast<float*>(std::aligned_alloc(64, bytes));
      cap = ptr != nullptr ? bytes / sizeof(float) : 0;
    }
    return ptr;
  }
};
Scratch scratch_a, scratch_b;

// ---------------------------------------------------------------------------------------------
// Decoding one stored element (row r, column c of the stored layout) to float32.

template <int Kind>
inline float load(const Operand& x, long idx) {
  if constexpr (Kind == SRC_F32) {
    return static_cast<const float*>(x.data)[idx];
  } else if constexpr (Kind == SRC_BF16) {
    uint32_t bits = static_cast<uint32_t>(static_cast<const uint16_t*>(x.data)[idx]) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  } else if constexpr (Kind == SRC_TABLE16) {
    return x.table[static_cast<const uint16_t*>(x.data)[idx]];
  } else {
    return x.table[static_cast<const uint8_t*>(x.data)[idx]];
  }
}

// Packs op(X) rows [i0, i0+w) (w ≤ width, zero-padded to width) x depth [p0, p0+kc) into
// out[p * width + r]. "Rows" of op(X) are the M dimension for A (op(A) is [M, K]) and the N dimension
// for B (op(B)ᵀ is [N, K]); `along_rows` says whether op(X)'s row index runs along the stored rows.
//   A: op(A)[i][p] = stored(trans ? (p, i) : (i, p))        → along_rows = !trans
//   B: op(B)[p][j] = stored(trans ? (j, p) : (p, j))        → along_rows = trans
template <int Kind, bool Blocks>
FP8LM_CLONES void pack_panel(const Operand& x, bool along_rows, long i0, long w, long p0, long kc, int width,
                             float* __restrict out) {
  const long gc = Blocks ? (x.cols + x.bc - 1) / x.bc : 0;
  if (along_rows) {
    // stored (i, p): each panel row is contiguous in p.
    for (long r = 0; r < w; r++) {
      const long row = i0 + r;
      const long base = row * x.cols;
      const float* brow = Blocks ? x.blocks + (row / x.br) * gc : nullptr;
      for (long p = 0; p < kc; p++) {
        const long col = p0 + p;
        float v = load<Kind>(x, base + col);
        if constexpr (Blocks) v *= brow[col / x.bc];
        out[p * width + r] = v;
      }
    }
  } else {
    // stored (p, i): each depth step is contiguous in i.
    for (long p = 0; p < kc; p++) {
      const long row = p0 + p;
      const long base = row * x.cols;
      const float* brow = Blocks ? x.blocks + (row / x.br) * gc : nullptr;
      float* o = out + p * width;
      for (long r = 0; r < w; r++) {
        const long col = i0 + r;
        float v = load<Kind>(x, base + col);
        if constexpr (Blocks) v *= brow[col / x.bc];
        o[r] = v;
      }
    }
  }
  if (w < width) {
    for (long p = 0; p < kc; p++)
      for (long r = w; r < width; r++) out[p * width + r] = 0.0f;
  }
}

using PackFn = void (*)(const Operand&, bool, long, long, long, long, int, float*);

PackFn pack_fn(const Operand& x) {
  const bool blocks = x.blocks != nullptr;
  switch (x.kind) {
    case SRC_F32:
      return blocks ? pack_panel<SRC_F32, true> : pack_panel<SRC_F32, false>;
    case SRC_BF16:
      return blocks ? pack_panel<SRC_BF16, true> : pack_panel<SRC_BF16, false>;
    case SRC_TABLE16:
      return blocks ? pack_panel<SRC_TABLE16, true> : pack_panel<SRC_TABLE16, false>;
    default:
      return blocks ? pack_panel<SRC_TABLE8, true> : pack_panel<SRC_TABLE8, false>;
  }
}

inline long ceil_div(long a, long b) { return (a + b - 1) / b; }


}  // namespace

void gemm(const GemmArgs& g, const Kernel& kern, int threads) {
  const long m = g.m, n = g.n, k = g.k;
  if (m == 0 || n == 0) return;
  const int mr = kern.mr, nr = kern.nr;
  const long kc = kern.kc;
  const long mp = ceil_div(m, mr), np = ceil_div(n, nr);  // panel counts
  const long nkb = ceil_div(k, kc);                          // depth blocks
  // Small problems run on the calling thread: waking a worker costs more than it saves.
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  const int nt = flops < 4e6 ? 1 : std::max(1, threads);

  std::lock_guard<std::mutex> lock(pool_mutex());  // the pool and the scratch buffers
  float* pa = scratch_a.get(static_cast<size_t>(mp * mr) * std::max<long>(k, 1));
  float* pb = scratch_b.get(static_cast<size_t>(np * nr) * std::max<long>(k, 1));
  if (pa == nullptr || pb == nullptr) throw std::bad_alloc();
  const PackFn pack_a = pack_fn(g.a);
  const PackFn pack_b = pack_fn(g.b);
  const bool a_rows = !g.a.trans;
  const bool b_rows = g.b.trans;

  // Phase 1: C = beta * C + bias (or 0), and pack both operands. Work is handed out in small
  // chunks through an atomic counter, so a core that another process slows down takes less of it.
  const long units_a = nkb * mp, units_b = nkb * np;
  std::atomic<long> next_row{0}, next_unit{0};
  parallel(nt, [&](int) {
    for (long i0; (i0 = next_row.fetch_add(16, std::memory_order_relaxed)) < m;) {
      for (long i = i0; i < std::min(i0 + 16, m); i++) {
        float* ci = g.c + i * n;
        if (g.beta == 0.0f) {
          if (g.bias != nullptr) {
            std::memcpy(ci, g.bias, static_cast<size_t>(n) * sizeof(float));
          } else {
            std::memset(ci, 0, static_cast<size_t>(n) * sizeof(float));
          }
        } else if (g.bias != nullptr) {
          for (long j = 0; j < n; j++) ci[j] = g.beta * ci[j] + g.bias[j];
        } else if (g.beta != 1.0f) {
          for (long j = 0; j < n; j++) ci[j] = g.beta * ci[j];
        }
      }
    }
    for (long u0; (u0 = next_unit.fetch_add(4, std::memory_order_relaxed)) < units_a + units_b;) {
      for (long u = u0; u < std::min(u0 + 4, units_a + units_b); u++) {
        const bool is_a = u < units_a;
        const long v = is_a ? u : u - units_a;
        const long panels = is_a ? mp : np;
        const long kb = v / panels, ip = v % panels;
        const long p0 = kb * kc, kcb = std::min(kc, k - p0);
        if (is_a) {
          const long i0 = ip * mr;
          pack_a(g.a, a_rows, i0, std::min<long>(mr, m - i0), p0, kcb, mr, pa + p0 * mp * mr + ip * mr * kcb);
        } else {
          const long j0 = ip * nr;
          pack_b(g.b, b_rows, j0, std::min<long>(nr, n - j0), p0, kcb, nr, pb + p0 * np * nr + ip * nr * kcb);
        }
      }
    }
  });
  if (k == 0) return;

  // Phase 2: C is cut into tiles of mct row panels x nct column panels (at most mc x nc, and small
  // enough for about 4 tiles per thread); threads take tiles from a counter, column-major so that
  // tiles taken one after another share their columns of B. In a tile: kc-deep slices of K, then
  // one B micro-panel (kc x nr, in L1) against every A micro-panel of the tile (mc x kc, in L2).
  const long mcp = std::max<long>(1, kern.mc / mr), ncp = std::max<long>(1, kern.nc / nr);
  const long want = 4L * nt;
  const long mct = std::clamp<long>(ceil_div(mp, want), 1, mcp);
  const long tiles_m = ceil_div(mp, mct);
  const long nct = tiles_m >= want ? ncp : std::clamp<long>(ceil_div(np, ceil_div(want, tiles_m)), 1, ncp);
  const long tiles_n = ceil_div(np, nct);
  std::atomic<long> next_tile{0};
  parallel(nt, [&](int) {
    alignas(64) float edge[16 * 64];  // edge tiles (mr * nr ≤ 1024)
    for (long t; (t = next_tile.fetch_add(1, std::memory_order_relaxed)) < tiles_m * tiles_n;) {
      const long ic = (t % tiles_m) * mct, ic_end = std::min(ic + mct, mp);
      const long jc = (t / tiles_m) * nct, jc_end = std::min(jc + nct, np);
      for (long kb = 0; kb < nkb; kb++) {
        const long p0 = kb * kc, kcb = std::min(kc, k - p0);
        const float* ablock = pa + p0 * mp * mr;
        const float* bblock = pb + p0 * np * nr;
        for (long jp = jc; jp < jc_end; jp++) {
          const float* bp = bblock + jp * nr * kcb;
          const long j0 = jp * nr, wj = std::min<long>(nr, n - j0);
          for (long ip = ic; ip < ic_end; ip++) {
            const float* ap = ablock + ip * mr * kcb;
            const long i0 = ip * mr, wi = std::min<long>(mr, m - i0);
            float* c = g.c + i0 * n + j0;
            if (wi == mr && wj == nr) {
              kern.fn(kcb, ap, bp, c, n, g.alpha);
            } else {
              std::memset(edge, 0, sizeof(float) * static_cast<size_t>(mr * nr));
              kern.fn(kcb, ap, bp, edge, nr, g.alpha);
              for (long i = 0; i < wi; i++)
                for (long j = 0; j < wj; j++) c[i * n + j] += edge[i * nr + j];
            }
          }
        }
      }
    }
  });
}

}  // namespace fp8lm
