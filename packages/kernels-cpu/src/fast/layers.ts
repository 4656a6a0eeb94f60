import {
  attentionBackwardArgs,
  attentionForwardArgs,
  type DeviceTensor,
  type LayernormOptions,
  layernormBackwardArgs,
  layernormForwardArgs,
} from '@fp8lm/tensor-interface';
import { cpuLayer } from '../layer-checks.js';
import { requireNative } from './native.js';

// Fast paths of LayerNorm and causal attention: the same contract as the reference ops in
// src/ops/{layernorm,attention}.ts, run by the native addon (f32 with f64 row statistics, both
// cores). The arguments go through the same shared checks as the reference's, so the two paths
// cannot disagree on errors.

/** Fast `layernormForward`; see the reference for the contract. */
export function layernormForwardFast(
  x: DeviceTensor<'f32'>,
  weight: DeviceTensor<'f32'>,
  bias: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  mean: DeviceTensor<'f32'>,
  rstd: DeviceTensor<'f32'>,
  options: LayernormOptions = {},
): void {
  const args = layernormForwardArgs(cpuLayer, x, weight, bias, out, mean, rstd, options);
  const { X, W, Bi, O, M, R, C, rows, eps } = args;
  // C = 0 leaves no rows, nothing to write.
  if (C > 0) requireNative().layernormForward(X.data, W.data, Bi.data, O.data, M.data, R.data, rows, C, eps);
}

/** Fast `layernormBackward`; see the reference for the contract. */
export function layernormBackwardFast(
  dout: DeviceTensor<'f32'>,
  x: DeviceTensor<'f32'>,
  weight: DeviceTensor<'f32'>,
  mean: DeviceTensor<'f32'>,
  rstd: DeviceTensor<'f32'>,
  dx: DeviceTensor<'f32'>,
  dweight: DeviceTensor<'f32'>,
  dbias: DeviceTensor<'f32'>,
): void {
  const args = layernormBackwardArgs(cpuLayer, dout, x, weight, mean, rstd, dx, dweight, dbias);
  const { D, X, W, M, R, DX, DW, DB, C, rows } = args;
  if (C > 0) {
    requireNative().layernormBackward(
      D.data,
      X.data,
      W.data,
      M.data,
      R.data,
      DX.data,
      DW.data,
      DB.data,
      rows,
      C,
    );
  }
}

/** Fast `attentionForward`; see the reference for the contract. */
export function attentionForwardFast(
  qkv: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  numHeads: number,
): void {
  const { QKV, O, A, B, T, C, NH } = attentionForwardArgs(cpuLayer, qkv, out, att, numHeads);
  requireNative().attentionForward(QKV.data, O.data, A.data, B, T, C, NH);
}

/** Fast `attentionBackward`; see the reference for the contract. */
export function attentionBackwardFast(
  dout: DeviceTensor<'f32'>,
  qkv: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  dqkv: DeviceTensor<'f32'>,
  numHeads: number,
): void {
  const { D, QKV, A, DQKV, B, T, C, NH } = attentionBackwardArgs(cpuLayer, dout, qkv, att, dqkv, numHeads);
  requireNative().attentionBackward(D.data, QKV.data, A.data, DQKV.data, B, T, C, NH);
}
