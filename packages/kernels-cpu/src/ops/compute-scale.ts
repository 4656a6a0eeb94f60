import { float32Exponent } from '@fp8lm/fp8-format';
import { type ComputeScaleOptions, type DeviceTensor, formatComputeScaleArgs } from '@fp8lm/tensor-interface';
import { asCpu } from '../cpu-tensor.js';

const FLOAT32_MAX = 3.4028234663852886e38;
const MIN_SCALE = 2 ** -127;

/** Backend op: current per-tensor scaling on the device (see FormatOps.computeScale). */
export function computeScale(
  amax: DeviceTensor<'f32'>,
  scale: DeviceTensor<'f32'>,
  scaleInv: DeviceTensor<'f32'>,
  options: ComputeScaleOptions,
): void {
  const args = formatComputeScaleArgs(asCpu, amax, scale, scaleInv, options);
  const { scale: s, scaleInv: si } = args;
  const value = scaleFromAmax(args.fpMax, args.amax.data[args.amaxIndex], args.margin, false);
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
