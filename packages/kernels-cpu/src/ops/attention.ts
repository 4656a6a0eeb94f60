import { attentionBackwardArgs, attentionForwardArgs, type DeviceTensor } from '@fp8lm/tensor-interface';
import { cpuLayer } from '../layer-checks.js';

/**
 * Backend op: causal multi-head self-attention (llm.c's `attention_forward`). `att` gets the softmax
 * of `q·k/sqrt(hs)` over `t2 ≤ t` (row max subtracted) and 0 for `t2 > t`; `out` gets `att · v`.
 * Overwrites `out` and `att`.
 */
export function attentionForward(
  qkv: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  numHeads: number,
): void {
  const { QKV, A, O, B, T, C, NH, hs } = attentionForwardArgs(cpuLayer, qkv, out, att, numHeads);
  const [inp, a, y] = [QKV.data, A.data, O.data];
  const scale = 1 / Math.sqrt(hs);
  const C3 = 3 * C;
  const row = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < NH; h++) {
        const q = b * T * C3 + t * C3 + h * hs;
        // Scores q·k over the causal window, and their max.
        let max = Number.NEGATIVE_INFINITY;
        for (let t2 = 0; t2 <= t; t2++) {
          const k = b * T * C3 + t2 * C3 + h * hs + C;
          let dot = 0;
          for (let i = 0; i < hs; i++) dot += inp[q + i] * inp[k + i];
          row[t2] = dot * scale;
          if (row[t2] > max) max = row[t2];
        }
        // Softmax with the max subtracted, so large scores cannot overflow.
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          row[t2] = Math.exp(row[t2] - max);
          sum += row[t2];
        }
        const aRow = ((b * NH + h) * T + t) * T;
        for (let t2 = 0; t2 < T; t2++) a[aRow + t2] = t2 <= t ? row[t2] / sum : 0;
        // out = att · v, from the stored (f32) probabilities, as the backward pass sees them.
        const o = b * T * C + t * C + h * hs;
        for (let i = 0; i < hs; i++) {
          let acc = 0;
          for (let t2 = 0; t2 <= t; t2++)
            acc += a[aRow + t2] * inp[b * T * C3 + t2 * C3 + h * hs + 2 * C + i];
          y[o + i] = acc;
        }
      }
    }
  }
}

/**
 * Backend op: backward of {@link attentionForward} with its saved `att` (llm.c's `attention_backward`,
 * with the softmax backward in its O(T) form `dpre = att·(datt - Σ att·datt)`). Accumulates into `dqkv`.
 */
export function attentionBackward(
  dout: DeviceTensor<'f32'>,
  qkv: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  dqkv: DeviceTensor<'f32'>,
  numHeads: number,
): void {
  const args = attentionBackwardArgs(cpuLayer, dout, qkv, att, dqkv, numHeads);
  const { QKV, A, D, DQKV, B, T, C, NH, hs } = args;
  const [inp, a, g, gi] = [QKV.data, A.data, D.data, DQKV.data];
  const scale = 1 / Math.sqrt(hs);
  const C3 = 3 * C;
  const datt = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let h = 0; h < NH; h++) {
        const aRow = ((b * NH + h) * T + t) * T;
        const o = b * T * C + t * C + h * hs;
        const q = b * T * C3 + t * C3 + h * hs;
        // Through out = att · v: datt = dout · v, dv += att · dout.
        let dot = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const v = b * T * C3 + t2 * C3 + h * hs + 2 * C;
          let s = 0;
          for (let i = 0; i < hs; i++) {
            s += inp[v + i] * g[o + i];
            gi[v + i] += a[aRow + t2] * g[o + i];
          }
          datt[t2] = s;
          dot += a[aRow + t2] * s;
        }
        // Through the softmax, then the scaled q·k: dq += dpre·k·scale, dk += dpre·q·scale.
        for (let t2 = 0; t2 <= t; t2++) {
          const dpre = a[aRow + t2] * (datt[t2] - dot) * scale;
          const k = b * T * C3 + t2 * C3 + h * hs + C;
          for (let i = 0; i < hs; i++) {
            gi[q + i] += inp[k + i] * dpre;
            gi[k + i] += inp[q + i] * dpre;
          }
        }
      }
    }
  }
}
