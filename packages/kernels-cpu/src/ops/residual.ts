import type { DeviceTensor } from '@fp8lm/tensor-interface';
import { expectShape, f32 } from '../layer-checks.js';

/** Backend op: `out = a + b` elementwise. Overwrites `out`, which may be `a` or `b`. */
export function residualForward(
  a: DeviceTensor<'f32'>,
  b: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
): void {
  const A = f32(a, 'a');
  const Bt = f32(b, 'b');
  const O = f32(out, 'out');
  expectShape(Bt, 'b', A.shape, 'the shape of a');
  expectShape(O, 'out', A.shape, 'the shape of a');
  const [x, y, z] = [A.data, Bt.data, O.data];
  for (let i = 0; i < z.length; i++) z[i] = x[i] + y[i];
}

/** Backend op: `da += dout`, `db += dout`. Accumulates into both. */
export function residualBackward(
  dout: DeviceTensor<'f32'>,
  da: DeviceTensor<'f32'>,
  db: DeviceTensor<'f32'>,
): void {
  const D = f32(dout, 'dout');
  const DA = f32(da, 'da');
  const DB = f32(db, 'db');
  expectShape(DA, 'da', D.shape, 'the shape of dout');
  expectShape(DB, 'db', D.shape, 'the shape of dout');
  const [g, ga, gb] = [D.data, DA.data, DB.data];
  for (let i = 0; i < g.length; i++) {
    ga[i] += g[i];
    gb[i] += g[i];
  }
}
