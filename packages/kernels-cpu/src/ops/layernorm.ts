import {
  type DeviceTensor,
  type LayernormOptions,
  layernormBackwardArgs,
  layernormForwardArgs,
} from '@fp8lm/tensor-interface';
import { cpuLayer } from '../layer-checks.js';

/**
 * Backend op: per row of `x [..., C]`, `out = (x - mean)·rstd·weight + bias` with the biased variance
 * and `rstd = 1/sqrt(var + eps)`. Overwrites `out`, `mean`, `rstd`. Statistics in f64, two passes.
 */
export function layernormForward(
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
  const [xs, w, bs, y] = [X.data, W.data, Bi.data, O.data];
  for (let r = 0; r < rows; r++) {
    const off = r * C;
    let sum = 0;
    for (let i = 0; i < C; i++) sum += xs[off + i];
    const m = sum / C;
    let sq = 0;
    for (let i = 0; i < C; i++) sq += (xs[off + i] - m) ** 2;
    const s = 1 / Math.sqrt(sq / C + eps);
    for (let i = 0; i < C; i++) y[off + i] = (xs[off + i] - m) * s * w[i] + bs[i];
    M.data[r] = m;
    R.data[r] = s;
  }
}

/**
 * Backend op: backward of {@link layernormForward} with its saved `mean` and `rstd`:
 * `dx += rstd·(g - mean(g) - norm·mean(g·norm))` with `g = weight·dout`, `dweight += Σ norm·dout`,
 * `dbias += Σ dout`. Accumulates.
 */
export function layernormBackward(
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
  const [g, xs, w, gx] = [D.data, X.data, W.data, DX.data];
  // dweight and dbias are sums over rows: accumulate in f64, add to the f32 gradients once.
  const gw = new Float64Array(C);
  const gb = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    const off = r * C;
    const m = M.data[r];
    const s = R.data[r];
    // Two reductions over the row: mean(w·dout) and mean(w·dout·norm).
    let gMean = 0;
    let gNormMean = 0;
    for (let i = 0; i < C; i++) {
      const norm = (xs[off + i] - m) * s;
      const wd = w[i] * g[off + i];
      gMean += wd;
      gNormMean += wd * norm;
    }
    gMean /= C;
    gNormMean /= C;
    for (let i = 0; i < C; i++) {
      const norm = (xs[off + i] - m) * s;
      const wd = w[i] * g[off + i];
      gb[i] += g[off + i];
      gw[i] += norm * g[off + i];
      gx[off + i] += s * (wd - gMean - norm * gNormMean);
    }
  }
  for (let i = 0; i < C; i++) {
    DW.data[i] += gw[i];
    DB.data[i] += gb[i];
  }
}
