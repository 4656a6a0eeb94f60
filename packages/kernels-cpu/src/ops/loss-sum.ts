import { type DeviceTensor, type LossSumOptions, lossSumArgs } from '@fp8lm/tensor-interface';
import { cpuLayer } from '../layer-checks.js';
import { scaleValue } from '../scale-arg.js';

/** Backend op: `out[index] = scale · Σ losses`, summed in f64. Overwrites `out[index]` only. */
export function lossSum(
  losses: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  options: LossSumOptions = {},
): void {
  const { L, O, index } = lossSumArgs(cpuLayer, losses, out, options);
  // A tensor scale's value is host data here, so it is checked too.
  const scale = scaleValue(options.scale, 'scale') ?? 1;
  if (!Number.isFinite(scale)) throw new RangeError(`scale: expected a finite number, found ${scale}`);
  let sum = 0;
  for (let i = 0; i < L.data.length; i++) sum += L.data[i];
  O.data[index] = scale * sum;
}
