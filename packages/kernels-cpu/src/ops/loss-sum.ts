import type { DeviceTensor, LossSumOptions } from '@fp8lm/tensor-interface';
import { f32 } from '../layer-checks.js';
import { checkIndex, scaleValue } from '../scale-arg.js';

/** Backend op: `out[index] = scale · Σ losses`, summed in f64. Overwrites `out[index]` only. */
export function lossSum(
  losses: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  options: LossSumOptions = {},
): void {
  const L = f32(losses, 'losses');
  const O = f32(out, 'out');
  const index = options.index ?? 0;
  checkIndex(index, O.size, 'index');
  const scale = scaleValue(options.scale, 'scale') ?? 1;
  if (!Number.isFinite(scale)) throw new RangeError(`scale: expected a finite number, found ${scale}`);
  let sum = 0;
  for (let i = 0; i < L.data.length; i++) sum += L.data[i];
  O.data[index] = scale * sum;
}
