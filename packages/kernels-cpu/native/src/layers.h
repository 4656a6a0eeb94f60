// Fast paths of the GPT layer ops that dominate a training step after the GEMMs: LayerNorm and
// causal attention, forward and backward (same semantics as src/ops/{layernorm,attention}.ts).
#pragma once

namespace fp8lm {

void layernorm_forward(const float* x, const float* weight, const float* bias, float* out, float* mean,
                       float* rstd, long rows, long C, float eps, int threads);

void layernorm_backward(const float* dout, const float* x, const float* weight, const float* mean,
                        const float* rstd, float* dx, float* dweight, float* dbias, long rows, long C,
                        int threads);

void attention_forward(const float* qkv, float* out, float* att, long B, long T, long C, long NH, int threads);

void attention_backward(const float* dout, const float* qkv, const float* att, float* dqkv, long B, long T,
                        long C, long NH, int threads);

}  // namespace fp8lm
