import { type DeviceTensor, residualBackwardArgs, residualForwardArgs } from '@fp8lm/tensor-interface';
import { cpuLayer } from '../layer-checks.js';

/** Backend op: `out = a + b` elementwise. Overwrites `out`, which may be `a` or `b`. */
export function residualForward(
  a: DeviceTensor<'f32'>,
  b: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
): void {
  const { A, Bt, O } = residualForwardArgs(cpuLayer, a, b, out);
  const [x, y, z] = [A.data, Bt.data, O.data];
  for (let i = 0; i < z.length; i++) z[i] = x[i] + y[i];
}

/** Backend op: `da += dout`, `db += dout`. Accumulates into both. */
export function residualBackward(
  dout: DeviceTensor<'f32'>,
  da: DeviceTensor<'f32'>,
  db: DeviceTensor<'f32'>,
): void {
  const { D, DA, DB } = residualBackwardArgs(cpuLayer, dout, da, db);
  const [g, ga, gb] = [D.data, DA.data, DB.data];
  for (let i = 0; i < g.length; i++) {
    ga[i] += g[i];
    gb[i] += g[i];
  }
}
