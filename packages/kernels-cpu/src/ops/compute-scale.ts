import { float32Exponent } from '@fp8lm/fp8-format';
import type { ComputeScaleOptions, DeviceTensor } from '@fp8lm/tensor-interface';
import { asCpu } from '../cpu-tensor.js';
import { checkIndex } from '../scale-arg.js';

const FLOAT32_MAX = 3.4028234663852886e38;
const MIN_SCALE = 2 ** -127;

/** Backend op: current per-tensor scaling on the device (see FormatOps.computeScale). */
export function computeScale(
  amax: DeviceTensor<'f32'>,
  scale: DeviceTensor<'f32'>,
  scaleInv: DeviceTensor<'f32'>,
  options: ComputeScaleOptions,
): void {
  const a = asCpu(amax, 'amax', ['f32']);
  const s = asCpu(scale, 'scale', ['f32']);
  const si = asCpu(scaleInv, 'scaleInv', ['f32']);
  if (s.size !== 1 || si.size !== 1)
    throw new RangeError(`scale, scaleInv: expected one element each, found ${s.size} and ${si.size}`);
  const { fpMax, margin = 0, amaxIndex = 0 } = options;
  if (!(fpMax > 0 && Number.isFinite(fpMax)))
    throw new RangeError(`fpMax: expected a finite positive number, found ${fpMax}`);
  if (!Number.isInteger(margin) || margin < 0)
    throw new RangeError(`margin: expected a non-negative integer, found ${margin}`);
  checkIndex(amaxIndex, a.size, 'amaxIndex');
  const value = scaleFromAmax(fpMax, a.data[amaxIndex], margin, false);
  if (value === undefined) return;
  s.data[0] = value;
  si.data[0] = 1 / value;
}

/**
 * The per-tensor scale formula of every scale the CPU kernels compute (as @fp8lm/scaling's
 * `computeScale`): `fround(fround(fpMax·2^-margin) / amax)`, clamped to [2^-127, FLT_MAX], optionally
 * rounded down to a power of two; `undefined` for a zero or non-finite amax (keep the previous scale).
 */
export function scaleFromAmax(
  fpMax: number,
  amax: number,
  margin: number,
  powerOfTwo: boolean,
): number | undefined {
  const x = Math.fround(amax);
  if (x === 0 || !Number.isFinite(x)) return undefined;
  let value = Math.fround(Math.fround(fpMax * 2 ** -margin) / x);
  if (value === Number.POSITIVE_INFINITY) value = FLOAT32_MAX;
  if (value < MIN_SCALE) return MIN_SCALE;
  return powerOfTwo ? 2 ** float32Exponent(value) : value;
}
