import { type DeviceTensor, type LayernormOptions, type Shape, shapesEqual } from '@fp8lm/tensor-interface';
import { CpuTensor } from '../cpu-tensor.js';
import { attentionBackward, attentionForward } from '../ops/attention.js';
import { layernormBackward, layernormForward } from '../ops/layernorm.js';
import { requireNative } from './native.js';

// Fast paths of LayerNorm and causal attention: the same contract as the reference ops in
// src/ops/{layernorm,attention}.ts, run by the native addon (f32 with f64 row statistics, both
// cores). A call whose arguments are not all plainly valid goes to the reference, which throws the
// documented TypeError or RangeError naming the argument: the two paths cannot disagree on errors.

/** The storage of a live f32 CPU tensor of exactly `shape`, or undefined. */
function f32Data(t: DeviceTensor, shape?: Shape): Float32Array | undefined {
  if (!(t instanceof CpuTensor) || t.disposed || t.dtype !== 'f32') return undefined;
  if (shape !== undefined && !shapesEqual(t.shape, shape)) return undefined;
  return t.data as Float32Array;
}

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
  const xs = f32Data(x);
  const C = x.shape.at(-1);
  const eps = options?.eps ?? 1e-5;
  if (xs !== undefined && C !== undefined && C > 0 && Number.isFinite(eps) && eps >= 0) {
    const rowShape = x.shape.slice(0, -1);
    const w = f32Data(weight, [C]);
    const b = f32Data(bias, [C]);
    const o = f32Data(out, x.shape);
    const m = f32Data(mean, rowShape);
    const r = f32Data(rstd, rowShape);
    if (w && b && o && m && r) {
      requireNative().layernormForward(xs, w, b, o, m, r, xs.length / C, C, eps);
      return;
    }
  }
  layernormForward(x, weight, bias, out, mean, rstd, options);
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
  const xs = f32Data(x);
  const C = x.shape.at(-1);
  if (xs !== undefined && C !== undefined && C > 0) {
    const rowShape = x.shape.slice(0, -1);
    const g = f32Data(dout, x.shape);
    const w = f32Data(weight, [C]);
    const m = f32Data(mean, rowShape);
    const r = f32Data(rstd, rowShape);
    const gx = f32Data(dx, x.shape);
    const gw = f32Data(dweight, [C]);
    const gb = f32Data(dbias, [C]);
    if (g && w && m && r && gx && gw && gb) {
      requireNative().layernormBackward(g, xs, w, m, r, gx, gw, gb, xs.length / C, C);
      return;
    }
  }
  layernormBackward(dout, x, weight, mean, rstd, dx, dweight, dbias);
}

/** [B, T, C] of a valid qkv `[B, T, 3C]` for `numHeads` heads, or undefined. */
function attentionDims(qkv: DeviceTensor, numHeads: number): [number, number, number] | undefined {
  if (qkv.shape.length !== 3 || qkv.shape[2] % 3 !== 0) return undefined;
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3;
  if (!Number.isInteger(numHeads) || numHeads <= 0 || C % numHeads !== 0) return undefined;
  return [B, T, C];
}

/** Fast `attentionForward`; see the reference for the contract. */
export function attentionForwardFast(
  qkv: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  numHeads: number,
): void {
  const dims = attentionDims(qkv, numHeads);
  if (dims !== undefined) {
    const [B, T, C] = dims;
    const q = f32Data(qkv);
    const o = f32Data(out, [B, T, C]);
    const a = f32Data(att, [B, numHeads, T, T]);
    if (q && o && a) {
      requireNative().attentionForward(q, o, a, B, T, C, numHeads);
      return;
    }
  }
  attentionForward(qkv, out, att, numHeads);
}

/** Fast `attentionBackward`; see the reference for the contract. */
export function attentionBackwardFast(
  dout: DeviceTensor<'f32'>,
  qkv: DeviceTensor<'f32'>,
  att: DeviceTensor<'f32'>,
  dqkv: DeviceTensor<'f32'>,
  numHeads: number,
): void {
  const dims = attentionDims(qkv, numHeads);
  if (dims !== undefined) {
    const [B, T, C] = dims;
    const g = f32Data(dout, [B, T, C]);
    const q = f32Data(qkv);
    const a = f32Data(att, [B, numHeads, T, T]);
    const gq = f32Data(dqkv, qkv.shape);
    if (g && q && a && gq) {
      requireNative().attentionBackward(g, q, a, gq, B, T, C, numHeads);
      return;
    }
  }
  attentionBackward(dout, qkv, att, dqkv, numHeads);
}
