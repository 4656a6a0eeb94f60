// GELU (tanh form) on the fast path: src/ops/gelu.ts's semantics, bit for bit (see gelu.cc).
#pragma once

namespace fp8lm {

// out[i] = float(0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))) in double (out may be x).
void gelu_forward(const float* x, float* out, long n, int threads);

// dx[i] = float(dx[i] + dout[i]·gelu'(x[i])), gelu' in double as the reference writes it.
void gelu_backward(const float* dout, const float* x, float* dx, long n, int threads);

}  // namespace fp8lm
