import { type DeviceTensor, geluBackwardArgs, geluForwardArgs } from '@fp8lm/tensor-interface';
import { cpuLayer } from '../layer-checks.js';

/** sqrt(2/π), the tanh form's scale. */
const GELU_SCALE = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;

/** Backend op: `out = 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))` (GPT-2's tanh form). Overwrites `out`; may be in place. */
export function geluForward(x: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>): void {
  const { X, O } = geluForwardArgs(cpuLayer, x, out);
  const [xs, y] = [X.data, O.data];
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    y[i] = 0.5 * v * (1 + Math.tanh(GELU_SCALE * (v + CUBIC * v * v * v)));
  }
}

/** Backend op: `dx += dout · gelu'(x)` for the tanh form. Accumulates into `dx`. */
export function geluBackward(
  dout: DeviceTensor<'f32'>,
  x: DeviceTensor<'f32'>,
  dx: DeviceTensor<'f32'>,
): void {
  const { D, X, DX } = geluBackwardArgs(cpuLayer, dout, x, dx);
  const [g, xs, gx] = [D.data, X.data, DX.data];
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    const th = Math.tanh(GELU_SCALE * (v + CUBIC * v * v * v));
    const sech2 = 1 - th * th;
    const local = 0.5 * (1 + th) + 0.5 * v * sech2 * GELU_SCALE * (1 + 3 * CUBIC * v * v);
    gx[i] += g[i] * local;
  }
}
