// LayerNorm and causal attention, forward and backward, in the layout of llm.c's train_gpt2.c.
// Row statistics and the weight/bias gradients accumulate in double, dot products and softmax in
// float with 8 independent partial sums (which the compiler vectorizes); work is spread over the
// pool in chunks of rows (LayerNorm, attention forward) or of (batch, head) pairs (attention
// backward, whose key/value gradients are shared by every query row of a head).
#include "layers.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <vector>

#include "clones.h"
#include "pool.h"

namespace fp8lm {
namespace {

// Below this many elements of work an op stays on the calling thread.
constexpr double kParallelMin = 1 << 15;

inline int threads_for(double work, int threads) { return work < kParallelMin ? 1 : threads; }

inline float dot(const float* a, const float* b, long n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) s[l] += a[i + l] * b[i + l];
  float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; i < n; i++) r += a[i] * b[i];
  return r;
}

}  // namespace

void layernorm_forward(const float* x, const float* weight, const float* bias, float* out, float* mean,
                       float* rstd, long rows, long C, float eps, int threads) {
  std::lock_guard<std::mutex> lock(pool_mutex());
  std::atomic<long> next{0};
  const long chunk = std::max<long>(1, 8192 / std::max<long>(C, 1));
  parallel(threads_for(static_cast<double>(rows) * C, threads), [&](int) {
    for_chunks(next, rows, chunk, [&](long lo, long hi) {
      for (long r = lo; r < hi; r++) {
        const float* xr = x + r * C;
        double sum = 0;
        for (long i = 0; i < C; i++) sum += xr[i];
        const double m = sum / static_cast<double>(C);
        double sq = 0;
        for (long i = 0; i < C; i++) {
          const double d = xr[i] - m;
          sq += d * d;
        }
        const double s = 1.0 / std::sqrt(sq / static_cast<double>(C) + eps);
        const float mf = static_cast<float>(m), sf = static_cast<float>(s);
        float* o = out + r * C;
        for (long i = 0; i < C; i++) o[i] = (xr[i] - mf) * sf * weight[i] + bias[i];
        mean[r] = mf;
        rstd[r] = sf;
      }
    });
  });
}

void layernorm_backward(const float* dout, const float* x, const float* weight, const float* mean,
                        const float* rstd, float* dx, float* dweight, float* dbias, long rows, long C,
                        int threads) {
  std::lock_guard<std::mutex> lock(pool_mutex());
  const int nt = threads_for(static_cast<double>(rows) * C, threads);
  // One pair of f64 partial sums (dweight, dbias) per participant, added up at the end.
  std::vector<double> partial(static_cast<size_t>(nt) * 2 * static_cast<size_t>(C), 0.0);
  std::atomic<long> next{0};
  const long chunk = std::max<long>(1, 8192 / std::max<long>(C, 1));
  parallel(nt, [&](int id) {
    double* gw = partial.data() + static_cast<size_t>(id) * 2 * C;
    double* gb = gw + C;
    for_chunks(next, rows, chunk, [&](long lo, long hi) {
      for (long r = lo; r < hi; r++) {
        const float* xr = x + r * C;
        const float* g = dout + r * C;
        float* gx = dx + r * C;
        const float m = mean[r], s = rstd[r];
        double g_mean = 0, g_norm_mean = 0;
        for (long i = 0; i < C; i++) {
          const float norm = (xr[i] - m) * s;
          const float wd = weight[i] * g[i];
          g_mean += wd;
          g_norm_mean += static_cast<double>(wd) * norm;
        }
        const float gm = static_cast<float>(g_mean / static_cast<double>(C));
        const float gnm = static_cast<float>(g_norm_mean / static_cast<double>(C));
        for (long i = 0; i < C; i++) {
          const float norm = (xr[i] - m) * s;
          gb[i] += g[i];
          gw[i] += static_cast<double>(norm) * g[i];
          gx[i] += s * (weight[i] * g[i] - gm - norm * gnm);
        }
      }
    });
  });
  for (long i = 0; i < C; i++) {
    double w = 0, b = 0;
    for (int t = 0; t < nt; t++) {
      w += partial[static_cast<size_t>(t) * 2 * C + i];
      b += partial[static_cast<size_t>(t) * 2 * C + C + i];
    }
    dweight[i] += static_cast<float>(w);
    dbias[i] += static_cast<float>(b);
  }
}

namespace {

// Query row t of one (batch, head) pair of the attention forward: its softmax row and its output.
FP8LM_CLONES void attention_forward_row(const float* qkv, float* out, float* att, long b, long h, long t, long T,
                                        long C, long NH) {
  const long hs = C / NH, C3 = 3 * C, bh = b * NH + h;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const float* base = qkv + b * T * C3;
  const float* q = base + t * C3 + h * hs;
  float* a = att + (bh * T + t) * T;
  float max = -std::numeric_limits<float>::infinity();
  for (long t2 = 0; t2 <= t; t2++) {
    const float v = dot(q, base + t2 * C3 + h * hs + C, hs) * scale;
    a[t2] = v;
    max = std::max(max, v);
  }
  float sum = 0;
  for (long t2 = 0; t2 <= t; t2++) {
    a[t2] = std::exp(a[t2] - max);
    sum += a[t2];
  }
  const float inv = 1.0f / sum;
  for (long t2 = 0; t2 <= t; t2++) a[t2] *= inv;
  for (long t2 = t + 1; t2 < T; t2++) a[t2] = 0.0f;
  float* o = out + b * T * C + t * C + h * hs;
  for (long i = 0; i < hs; i++) o[i] = 0.0f;
  for (long t2 = 0; t2 <= t; t2++) {
    const float w = a[t2];
    const float* v = base + t2 * C3 + h * hs + 2 * C;
    for (long i = 0; i < hs; i++) o[i] += w * v[i];
  }
}

}  // namespace

void attention_forward(const float* qkv, float* out, float* att, long B, long T, long C, long NH, int threads) {
  std::lock_guard<std::mutex> lock(pool_mutex());
  const long items = B * NH * T;  // one query row of one head
  std::atomic<long> next{0};
  const double work = static_cast<double>(B) * T * T * C;
  parallel(threads_for(work, threads), [&](int) {
    for_chunks(next, items, 16, [&](long lo, long hi) {
      for (long it = lo; it < hi; it++) {
        const long t = it % T, bh = it / T;
        attention_forward_row(qkv, out, att, bh / NH, bh % NH, t, T, C, NH);
      }
    });
  });
}

namespace {

// One (batch, head) pair of the attention backward; datt is T floats of scratch.
FP8LM_CLONES void attention_backward_head(const float* dout, const float* qkv, const float* att, float* dqkv,
                                          float* datt, long b, long h, long T, long C, long NH) {
  const long hs = C / NH, C3 = 3 * C, bh = b * NH + h;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const float* base = qkv + b * T * C3;
  float* gbase = dqkv + b * T * C3;
  for (long t = 0; t < T; t++) {
    const float* a = att + (bh * T + t) * T;
    const float* g = dout + b * T * C + t * C + h * hs;
    // Through out = att · v: datt = dout · v, dv += att · dout.
    float dsum = 0;
    for (long t2 = 0; t2 <= t; t2++) {
      const float* v = base + t2 * C3 + h * hs + 2 * C;
      float* gv = gbase + t2 * C3 + h * hs + 2 * C;
      datt[t2] = dot(v, g, hs);
      const float w = a[t2];
      for (long i = 0; i < hs; i++) gv[i] += w * g[i];
      dsum += w * datt[t2];
    }
    // Through the softmax and the scaled q·k: dq += dpre·k, dk += dpre·q.
    const float* q = base + t * C3 + h * hs;
    float* gq = gbase + t * C3 + h * hs;
    for (long t2 = 0; t2 <= t; t2++) {
      const float dpre = a[t2] * (datt[t2] - dsum) * scale;
      const float* k = base + t2 * C3 + h * hs + C;
      float* gk = gbase + t2 * C3 + h * hs + C;
      for (long i = 0; i < hs; i++) {
        gq[i] += k[i] * dpre;
        gk[i] += q[i] * dpre;
      }
    }
  }
}

}  // namespace

void attention_backward(const float* dout, const float* qkv, const float* att, float* dqkv, long B, long T,
                        long C, long NH, int threads) {
  std::lock_guard<std::mutex> lock(pool_mutex());
  std::atomic<long> next{0};
  const double work = static_cast<double>(B) * T * T * C;
  parallel(threads_for(work, threads), [&](int) {
    std::vector<float> datt(static_cast<size_t>(T));
    for_chunks(next, B * NH, 1, [&](long bh, long) {
      attention_backward_head(dout, qkv, att, dqkv, datt.data(), bh / NH, bh % NH, T, C, NH);
    });
  });
}

}  // namespace fp8lm
