import type { DeviceTensor, ScaleArg } from '../backend.js';

/** Options of {@link LayerOps.layernormForward}. */
export interface LayernormOptions {
  /** Added to the variance before the square root: `rstd = 1 / sqrt(var + eps)`. Default 1e-5 (GPT-2). */
  eps?: number;
}

/** Options of {@link LayerOps.crossEntropyForward} and {@link LayerOps.crossEntropyBackward}. */
export interface CrossEntropyOptions {
  /**
   * Positions whose target equals this value have no loss (written as 0) and no gradient (their
   * `dlogits` row is left as it was). Default: none, every target must be in `0..V-1`.
   * Typically -1, for padding.
   */
  ignoreIndex?: number;
}

/** Options of {@link LayerOps.crossEntropyBackward}. */
export interface CrossEntropyBackwardOptions extends CrossEntropyOptions {
  /**
   * `∂L/∂losses[b,t]`, the same for every position: `1 / (B·T)` for a mean over the batch
   * (`1 / count` of the positions not ignored), times a loss scale if one is used. A number or a
   * one-element f32 device tensor. Default 1.
   */
  dlossScale?: ScaleArg;
}

/** Options of {@link LayerOps.lossSum}. */
export interface LossSumOptions {
  /** Multiplies the sum, e.g. `1 / (B·T)` for the mean loss. A number or a one-element f32 device tensor. Default 1. */
  scale?: ScaleArg;
  /** Element of `out` that receives the result (default 0), e.g. a slot of a loss history read every k steps. */
  index?: number;
}

/**
 * GPT-2 layer ops, forward and backward, written after llm.c's `train_gpt2.c`: f32 activations and
 * parameters, i32 token ids and targets. Shapes use llm.c's letters: B batch, T time (sequence),
 * C channels, NH heads, hs = C / NH head size, V vocabulary, maxT the longest sequence (`wpe` rows),
 * N any number of rows.
 *
 * Conventions, the same for every op:
 * - **Forward ops overwrite** their outputs (every element of every output is written, whatever it
 *   held before). `biasAdd`, `geluForward` and `residualForward` are elementwise and may write in
 *   place (`out` may be the same tensor as an input); in every other op, outputs must not alias inputs.
 * - **Backward ops accumulate**: every gradient output gets `+=` (as llm.c does), so a parameter
 *   used twice (the tied `wte`) or an activation with two consumers (the residual stream) just adds
 *   up; the caller zeroes gradients before the backward pass (a fresh `alloc` is zero-filled).
 *   Saved activations (`mean`, `rstd`, `att`) come from the matching forward call and are read only.
 * - Kernel calls are synchronous and only enqueue work: nothing comes back to the host except
 *   through `read`. The loss reaches the host as one scalar written by {@link LayerOps.lossSum}.
 * - Arguments are checked when the op is called: a wrong dtype is a TypeError and a wrong shape a
 *   RangeError, each naming the argument with the expected and found shape. Token ids and targets
 *   are device data: on the CPU backend an id outside `0..V-1` is a RangeError; a device backend
 *   cannot check them without a sync, and the result is then undefined.
 * - Shapes are exact: embedding, attention and cross-entropy take rank-3 `[B, T, ·]` activations (not
 *   `[B·T, ·]`); layernorm and the bias ops take `[..., C]` with any leading dimensions; GELU and
 *   residual take any shape (all operands the same).
 * - Reductions (means, variances, softmax sums, dot products) are accumulated in f32 or better, in
 *   any order; the conformance suite allows for the difference with per-op tolerances.
 */
export interface LayerOps {
  /**
   * `out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]`. Overwrites `out`.
   * @param tokens i32 `[B, T]`, each in `0..V-1`
   * @param wte token embedding, f32 `[V, C]`
   * @param wpe position embedding, f32 `[maxT, C]` with `maxT ≥ T`
   * @param out f32 `[B, T, C]`
   */
  embeddingForward(
    tokens: DeviceTensor<'i32'>,
    wte: DeviceTensor<'f32'>,
    wpe: DeviceTensor<'f32'>,
    out: DeviceTensor<'f32'>,
  ): void;
  /**
   * `dwte[tokens[b,t],:] += dout[b,t,:]` and `dwpe[t,:] += dout[b,t,:]` for every b, t. Accumulates
   * (a token that occurs several times adds up, in any order).
   * @param dout f32 `[B, T, C]`
   * @param tokens i32 `[B, T]`
   * @param dwte f32 `[V, C]`
   * @param dwpe f32 `[maxT, C]`; rows `T..maxT-1` are left as they are
   */
  embeddingBackward(
    dout: DeviceTensor<'f32'>,
    tokens: DeviceTensor<'i32'>,
    dwte: DeviceTensor<'f32'>,
    dwpe: DeviceTensor<'f32'>,
  ): void;

  /**
   * LayerNorm over the last dimension: per row, `mean = Σx/C`, `var = Σ(x-mean)²/C` (biased),
   * `rstd = 1/sqrt(var + eps)`, `out = (x - mean)·rstd·weight + bias`. Overwrites `out`, `mean`, `rstd`
   * (saved for the backward pass).
   * @param x f32 `[..., C]`
   * @param weight f32 `[C]`
   * @param bias f32 `[C]`
   * @param out f32, the shape of `x`
   * @param mean f32, the shape of `x` without its last dimension (`[B, T]` for `x` `[B, T, C]`)
   * @param rstd f32, the shape of `mean`
   */
  layernormForward(
    x: DeviceTensor<'f32'>,
    weight: DeviceTensor<'f32'>,
    bias: DeviceTensor<'f32'>,
    out: DeviceTensor<'f32'>,
    mean: DeviceTensor<'f32'>,
    rstd: DeviceTensor<'f32'>,
    options?: LayernormOptions,
  ): void;
  /**
   * Backward of {@link layernormForward} with its saved `mean` and `rstd`. With
   * `norm = (x - mean)·rstd` and `g = weight·dout`, per row:
   * `dx += rstd·(g - mean(g) - norm·mean(g·norm))`, and summed over rows: `dweight += norm·dout`,
   * `dbias += dout`. Accumulates into `dx`, `dweight`, `dbias`.
   * @param dout f32, the shape of `x`
   * @param x f32 `[..., C]`, the forward input
   * @param weight f32 `[C]`
   * @param mean f32, from the forward pass
   * @param rstd f32, from the forward pass
   * @param dx f32, the shape of `x`
   * @param dweight f32 `[C]`
   * @param dbias f32 `[C]`
   */
  layernormBackward(
    dout: DeviceTensor<'f32'>,
    x: DeviceTensor<'f32'>,
    weight: DeviceTensor<'f32'>,
    mean: DeviceTensor<'f32'>,
    rstd: DeviceTensor<'f32'>,
    dx: DeviceTensor<'f32'>,
    dweight: DeviceTensor<'f32'>,
    dbias: DeviceTensor<'f32'>,
  ): void;

  /**
   * GELU, GPT-2's tanh form: `out = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))`. Overwrites `out`,
   * which may be `x` (in place).
   * @param x f32, any shape
   * @param out f32, the shape of `x`
   */
  geluForward(x: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>): void;
  /**
   * `dx += dout · gelu'(x)`, the derivative of the tanh form. Accumulates into `dx`.
   * @param dout f32, the shape of `x`
   * @param x f32, the forward input
   * @param dx f32, the shape of `x`
   */
  geluBackward(dout: DeviceTensor<'f32'>, x: DeviceTensor<'f32'>, dx: DeviceTensor<'f32'>): void;

  /**
   * Causal multi-head self-attention, GPT-2 layout. `qkv[b,t,:]` holds the query, key and value of
   * position t, each `C` wide (`q = qkv[b,t,0:C]`, `k = qkv[b,t,C:2C]`, `v = qkv[b,t,2C:3C]`); head h
   * uses channels `h·hs .. (h+1)·hs - 1` of each. Per b, h, t:
   * `att[b,h,t,t2] = softmax_{t2 ≤ t}(q_t · k_t2 / sqrt(hs))` (in f32 or better, subtracting the row
   * max, so large scores do not overflow), 0 for `t2 > t` (the causal mask), and
   * `out[b,t,h·hs+i] = Σ_{t2 ≤ t} att[b,h,t,t2]·v_t2[i]`. Overwrites `out` and `att` (every element,
   * the masked ones included); `att` is saved for the backward pass.
   * @param qkv f32 `[B, T, 3C]`
   * @param out f32 `[B, T, C]`
   * @param att f32 `[B, NH, T, T]`
   * @param numHeads NH, a positive integer that divides C
   */
  attentionForward(
    qkv: DeviceTensor<'f32'>,
    out: DeviceTensor<'f32'>,
    att: DeviceTensor<'f32'>,
    numHeads: number,
  ): void;
  /**
   * Backward of {@link attentionForward} with its saved `att`: back through the value sum, the
   * softmax (`dpre = att·(datt - Σ att·datt)` per row) and the scaled `q·k`. Accumulates into `dqkv`
   * (query, key and value parts). Needs no scratch tensors.
   * @param dout f32 `[B, T, C]`
   * @param qkv f32 `[B, T, 3C]`, the forward input
   * @param att f32 `[B, NH, T, T]`, from the forward pass
   * @param dqkv f32 `[B, T, 3C]`
   * @param numHeads NH, as in the forward pass
   */
  attentionBackward(
    dout: DeviceTensor<'f32'>,
    qkv: DeviceTensor<'f32'>,
    att: DeviceTensor<'f32'>,
    dqkv: DeviceTensor<'f32'>,
    numHeads: number,
  ): void;

  /**
   * Softmax cross-entropy over the vocabulary, per position:
   * `losses[b,t] = logsumexp(logits[b,t,:]) - logits[b,t,targets[b,t]]` (the row max subtracted first,
   * so large logits do not overflow); 0 where the target is `ignoreIndex`. Overwrites `losses`.
   * @param logits f32 `[B, T, V]`
   * @param targets i32 `[B, T]`, each in `0..V-1` or `ignoreIndex`
   * @param losses f32 `[B, T]`
   */
  crossEntropyForward(
    logits: DeviceTensor<'f32'>,
    targets: DeviceTensor<'i32'>,
    losses: DeviceTensor<'f32'>,
    options?: CrossEntropyOptions,
  ): void;
  /**
   * Fused softmax + cross-entropy backward, recomputing the softmax from the logits:
   * `dlogits[b,t,v] += dlossScale · (softmax(logits[b,t,:])[v] - (v == targets[b,t] ? 1 : 0))`;
   * rows whose target is `ignoreIndex` are left as they are. Accumulates into `dlogits`.
   * @param logits f32 `[B, T, V]`
   * @param targets i32 `[B, T]`
   * @param dlogits f32 `[B, T, V]`
   */
  crossEntropyBackward(
    logits: DeviceTensor<'f32'>,
    targets: DeviceTensor<'i32'>,
    dlogits: DeviceTensor<'f32'>,
    options?: CrossEntropyBackwardOptions,
  ): void;
  /**
   * `out[index] = scale · Σ losses` (summed in f32 or better): the one scalar the host reads, e.g. the
   * mean loss with `scale = 1/(B·T)`. Ignored positions hold 0, so `scale = 1/count` of the others
   * gives their mean. Overwrites `out[index]` only.
   * @param losses f32, any shape
   * @param out f32, any shape with more than `index` elements
   */
  lossSum(losses: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, options?: LossSumOptions): void;

  /**
   * `out = a + b`, elementwise (the residual connection). Overwrites `out`, which may be `a` or `b`.
   * @param a f32, any shape
   * @param b f32, the shape of `a`
   * @param out f32, the shape of `a`
   */
  residualForward(a: DeviceTensor<'f32'>, b: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>): void;
  /**
   * `da += dout`, `db += dout`. Accumulates into both.
   * @param dout f32, any shape
   * @param da f32, the shape of `dout`
   * @param db f32, the shape of `dout`
   */
  residualBackward(dout: DeviceTensor<'f32'>, da: DeviceTensor<'f32'>, db: DeviceTensor<'f32'>): void;

  /**
   * `out[n,c] = x[n,c] + bias[c]` (bias broadcast over rows). Overwrites `out`; without `out`, adds
   * in place into `x`.
   * @param x f32 `[..., C]`
   * @param bias f32 `[C]`
   * @param out f32, the shape of `x`; default `x`
   */
  biasAdd(x: DeviceTensor<'f32'>, bias: DeviceTensor<'f32'>, out?: DeviceTensor<'f32'>): void;
  /**
   * `dbias[c] += Σ_n dout[n,c]` (sum over every leading dimension). Accumulates into `dbias`.
   * @param dout f32 `[..., C]`
   * @param dbias f32 `[C]`
   */
  biasBackward(dout: DeviceTensor<'f32'>, dbias: DeviceTensor<'f32'>): void;
}
