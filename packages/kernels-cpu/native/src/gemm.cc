// GEMM driver: decode-fused packing, cache blocking, and a small thread pool.
//
// Both operands are packed once per call into the micro-kernel's panel layout; the packing decodes
// FP8 / f16 codes through a table (bf16 by a shift) and multiplies block scales in, so FP8 inputs are
// read once as bytes and never materialized as a full f32 matrix in the caller's layout. Per-tensor
// scales are folded into alpha by the caller.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "gemm.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FP8LM_PAUSE() _mm_pause()
#else
#define FP8LM_PAUSE() std::this_thread::yield()
#endif

namespace fp8lm {
namespace {

// ---------------------------------------------------------------------------------------------
// Thread pool: the caller is thread 0; workers spin briefly, then sleep on a condition variable.

class Pool {
 public:
  explicit Pool(int size) : size_(size) {
    for (int id = 1; id < size; id++) std::thread([this, id] { loop(id); }).detach();
  }

  int size() const { return size_; }

  // Runs f(0..n-1) with f(0) on the calling thread; returns when all are done.
  void run(int n, const std::function<void(int)>& f) {
    n = std::min(n, size_);
    if (n <= 1) {
      f(0);
      return;
    }
    job_ = &f;
    active_ = n;
    remaining_.store(n - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    f(0);
    for (int spins = 0; remaining_.load(std::memory_order_acquire) != 0; spins++) {
      if (spins < 4096) {
        FP8LM_PAUSE();
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  void loop(int id) {
    uint64_t seen = generation_.load(std::memory_order_acquire);
    for (;;) {
      // Spin up to ~200 µs for the next job (GEMMs come in bursts), then sleep.
      auto start = std::chrono::steady_clock::now();
      for (int spins = 0; generation_.load(std::memory_order_acquire) == seen; spins++) {
        FP8LM_PAUSE();
        if ((spins & 255) == 255 &&
            std::chrono::steady_clock::now() - start > std::chrono::microseconds(200)) {
          std::unique_lock<std::mutex> lock(mutex_);
          wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
          break;
        }
      }
      seen = generation_.load(std::memory_order_acquire);
      if (id < active_) {
        (*job_)(id);
        remaining_.fetch_sub(1, std::memory_order_release);
      }
    }
  }

  const int size_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> remaining_{0};
  const std::function<void(int)>* job_ = nullptr;
  int active_ = 0;
};

// One pool per process, created on first use (under gemm_mutex) and never destroyed: its threads
// sleep until the process exits.
Pool* pool = nullptr;

Pool& get_pool(int threads) {
  if (pool == nullptr || pool->size() < threads) {
    // A bigger pool replaces a smaller one; the old one's threads keep sleeping (rare: tests only).
    pool = new Pool(threads);
  }
  return *pool;
}

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
void pack_panel(const Operand& x, bool along_rows, long i0, long w, long p0, long kc, int width,
                float* out) {
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

// Splits [0, n) into `parts` nearly equal contiguous ranges; returns range `t`.
inline void split(long n, int parts, int t, long& lo, long& hi) {
  lo = n * t / parts;
  hi = n * (t + 1) / parts;
}

std::mutex gemm_mutex;  // one GEMM at a time uses the pool and the scratch buffers

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

  std::lock_guard<std::mutex> lock(gemm_mutex);
  float* pa = scratch_a.get(static_cast<size_t>(mp * mr) * std::max<long>(k, 1));
  float* pb = scratch_b.get(static_cast<size_t>(np * nr) * std::max<long>(k, 1));
  if (pa == nullptr || pb == nullptr) throw std::bad_alloc();
  const PackFn pack_a = pack_fn(g.a);
  const PackFn pack_b = pack_fn(g.b);
  const bool a_rows = !g.a.trans;
  const bool b_rows = g.b.trans;

  Pool& workers = get_pool(nt);

  // Phase 1: C = beta * C + bias (or 0), and pack both operands. Work units are panels.
  const long units_a = nkb * mp, units_b = nkb * np;
  workers.run(nt, [&](int t) {
    long lo, hi;
    split(m, nt, t, lo, hi);
    for (long i = lo; i < hi; i++) {
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
    split(units_a + units_b, nt, t, lo, hi);
    for (long u = lo; u < hi; u++) {
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
  });
  if (k == 0) return;

  // Phase 2: each thread owns a contiguous range of row panels (or of column panels when the
  // output is wide and short) and walks it in mc x nc blocks, kc deep.
  const long mcp = std::max<long>(1, kern.mc / mr), ncp = std::max<long>(1, kern.nc / nr);
  const bool split_rows = mp >= np || mp >= 4L * nt;
  workers.run(nt, [&](int t) {
    long i_lo = 0, i_hi = mp, j_lo = 0, j_hi = np;
    if (split_rows) {
      split(mp, nt, t, i_lo, i_hi);
    } else {
      split(np, nt, t, j_lo, j_hi);
    }
    alignas(64) float tile[16 * 64];  // edge tiles (mr * nr ≤ 1024)
    for (long jc = j_lo; jc < j_hi; jc += ncp) {
      const long jc_end = std::min(jc + ncp, j_hi);
      for (long kb = 0; kb < nkb; kb++) {
        const long p0 = kb * kc, kcb = std::min(kc, k - p0);
        const float* ablock = pa + p0 * mp * mr;
        const float* bblock = pb + p0 * np * nr;
        for (long ic = i_lo; ic < i_hi; ic += mcp) {
          const long ic_end = std::min(ic + mcp, i_hi);
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
                std::memset(tile, 0, sizeof(float) * static_cast<size_t>(mr * nr));
                kern.fn(kcb, ap, bp, tile, nr, g.alpha);
                for (long i = 0; i < wi; i++)
                  for (long j = 0; j < wj; j++) c[i * n + j] += tile[i * nr + j];
              }
            }
          }
        }
      }
    }
  });
}

}  // namespace fp8lm
