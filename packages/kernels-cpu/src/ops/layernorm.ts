import type { DeviceTensor, LayernormOptions } from '@fp8lm/tensor-interface';
import { expectShape, f32, lastDim } from '../layer-checks.js';

/** GPT-2's LayerNorm epsilon. */
const DEFAULT_EPS = 1e-5;

function checkParams(x: DeviceTensor<'f32'>, weight: DeviceTensor<'f32'>, C: number, wName: string) {
  expectShape(weight, wName, [C], '[C]');
  return { rowShape: x.shape.slice(0, -1), rows: C === 0 ? 0 : x.size / C };
}

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
  const X = f32(x, 'x');
  const W = f32(weight, 'weight');
  const Bi = f32(bias, 'bias');
  const O = f32(out, 'out');
  const M = f32(mean, 'mean');
  const R = f32(rstd, 'rstd');
  const C = lastDim(X, 'x');
  const { rowShape, rows } = checkParams(X, W, C, 'weight');
  expectShape(Bi, 'bias', [C], '[C]');
  expectShape(O, 'out', X.shape, 'the shape of x');
  expectShape(M, 'mean', rowShape, 'x without its last dimension');
  expectShape(R, 'rstd', rowShape, 'x without its last dimension');
  const eps = options.eps ?? DEFAULT_EPS;
  if (!Number.isFinite(eps) || eps < 0)
    throw new RangeError(`eps: expected a finite number ≥ 0, found ${eps}`);
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
  const D = f32(dout, 'dout');
  const X = f32(x, 'x');
  const W = f32(weight, 'weight');
  const M = f32(mean, 'mean');
  const R = f32(rstd, 'rstd');
  const DX = f32(dx, 'dx');
  const DW = f32(dweight, 'dweight');
  const DB = f32(dbias, 'dbias');
  const C = lastDim(X, 'x');
  const { rowShape, rows } = checkParams(X, W, C, 'weight');
  expectShape(D, 'dout', X.shape, 'the shape of x');
  expectShape(M, 'mean', rowShape, 'x without its last dimension');
  expectShape(R, 'rstd', rowShape, 'x without its last dimension');
  expectShape(DX, 'dx', X.shape, 'the shape of x');
  expectShape(DW, 'dweight', [C], '[C]');
  expectShape(DB, 'dbias', [C], '[C]');
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
