import { biasAddArgs, biasBackwardArgs, type DeviceTensor } from '@fp8lm/tensor-interface';
import { cpuLayer } from '../layer-checks.js';

/** Backend op: `out[n,c] = x[n,c] + bias[c]`. Overwrites `out` (default: `x`, in place). */
export function biasAdd(
  x: DeviceTensor<'f32'>,
  bias: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'> = x,
): void {
  const { X, Bi, O, C } = biasAddArgs(cpuLayer, x, bias, out);
  const [xs, bs, y] = [X.data, Bi.data, O.data];
  for (let i = 0; i < xs.length; i++) y[i] = xs[i] + bs[i % C];
}

/** Backend op: `dbias[c] += Σ_n dout[n,c]`, summed in f64 per column. Accumulates into `dbias`. */
export function biasBackward(dout: DeviceTensor<'f32'>, dbias: DeviceTensor<'f32'>): void {
  const { D, DB, C, rows } = biasBackwardArgs(cpuLayer, dout, dbias);
  const [g, gb] = [D.data, DB.data];
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < rows; n++) sum += g[n * C + c];
    gb[c] += sum;
  }
}
