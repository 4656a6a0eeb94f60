import { FLOAT32_MAX, MIN_SCALE, powerOfTwoFloor } from './float32.js';
import {
  assertNumber,
  checkBoolean,
  checkNonNegativeFinite,
  checkNonNegativeInteger,
  checkOptions,
  checkPositiveFinite,
} from './validate.js';

/** Options of {@link computeScale}. */
export interface ScaleOptions {
  /**
   * Extra headroom in binades: the scale is divided by `2^margin` (a non-negative integer, default 0).
   * TransformerEngine's and MS-AMP's `margin`.
   */
  margin?: number;
  /**
   * Round the scale down to a power of two (default false), so that `x * scale` and `decode(q) * scaleInv`
   * only move exponents and `scaleInv` is exact.
   */
  powerOfTwo?: boolean;
  /** The scale kept when `amax` is zero or not finite (default 1). */
  previous?: number;
  /**
   * A floor on amax (default 0, no floor): `amax < epsilon` is treated as `epsilon`, so a zero amax then
   * gives `fpMax / epsilon` instead of keeping `previous`. Current scaling uses it (torchao's 1e-12).
   */
  epsilon?: number;
}

/**
 * The per-tensor scale for values whose absolute maximum is `amax`, so that `amax * scale` lands on
 * `fpMax / 2^margin`. Every per-tensor recipe calls this one function, so a scale means the same thing in
 * delayed scaling, current scaling and the optimizer.
 *
 * - `scale = fround(fround(fpMax * 2^-margin) / amax)`: float32 arithmetic, exactly as TransformerEngine's
 *   `scaled_max / amax`, so a device that computes scales itself gets the same bits.
 * - `powerOfTwo`: the float32 quotient's mantissa is cleared, i.e. `2^(floor(log2(fpMax / amax)) - margin)`
 *   with `fpMax / amax` evaluated in float32 (TE's `force_pow_2_scales`). When the exact quotient lies
 *   within half a float32 ulp below a power of two, the float32 quotient rounds up onto it; `amax * scale`
 *   then exceeds `fpMax` by less than 2^-24 relative, which the saturating cast maps to `fpMax` anyway.
 * - `amax` is taken as a float32 (the max of float32 data is one). Zero, NaN or ±Inf (after the
 *   `epsilon` floor) returns `previous` unchanged: there is nothing to learn from it.
 * - A quotient that overflows float32 (a tiny, e.g. subnormal, amax) becomes the largest float32 (or
 *   2^127 for powers of two), as TE; the result is never below 2^-127, so `1 / scale` stays finite.
 *
 * @param fpMax - the format's largest finite value (`E4M3.maxFinite` = 448); taken as a float32.
 * @param amax - `max |x|` of the tensor (or of a window of amaxes).
 * @returns a positive finite float32.
 * @example
 * computeScale(448, 3.5); // → 128
 * computeScale(448, 3, { powerOfTwo: true }); // → 128 (448 / 3 = 149.3 rounded down to 2^7)
 * computeScale(448, 0, { previous: 4 }); // → 4
 */
export function computeScale(fpMax: number, amax: number, options?: ScaleOptions): number {
  const max = Math.fround(checkPositiveFinite(fpMax, 'fpMax'));
  assertNumber(amax, 'amax');
  if (amax < 0)
    throw new RangeError(`amax: expected a non-negative number (an absolute maximum), found ${amax}`);
  const opts = checkOptions(options);
  const margin = checkNonNegativeInteger(opts.margin ?? 0, 'margin');
  const powerOfTwo = checkBoolean(opts.powerOfTwo, 'powerOfTwo', false);
  const previous = opts.previous === undefined ? 1 : checkScale(opts.previous, 'previous');
  const epsilon = Math.fround(checkNonNegativeFinite(opts.epsilon ?? 0, 'epsilon'));
  return scaleFromAmax(max, amax, margin, powerOfTwo, epsilon, previous);
}

/**
 * {@link computeScale} without argument checks, for the recipes' inner loops (block scaling computes one
 * scale per tile). `fpMax` and `epsilon` must already be float32 values.
 */
export function scaleFromAmax(
  fpMax: number,
  amax: number,
  margin: number,
  powerOfTwo: boolean,
  epsilon: number,
  previous: number,
): number {
  let a = Math.fround(amax);
  // NaN fails `a < epsilon`, as in TE, and is caught by the finiteness check below.
  if (a < epsilon) a = epsilon;
  if (a === 0 || !Number.isFinite(a)) return previous;
  // fpMax * 2^-margin is exact for any sane margin; one float32 rounding of the quotient, as TE.
  let scale = Math.fround(Math.fround(fpMax * 2 ** -margin) / a);
  if (scale === Number.POSITIVE_INFINITY) scale = FLOAT32_MAX;
  // Clamp first: powers of two of the clamped range [2^-127, 2^-126) are float32 subnormals, still exact.
  if (scale < MIN_SCALE) return MIN_SCALE;
  return powerOfTwo ? powerOfTwoFloor(scale) : scale;
}

/**
 * A scale supplied by a caller: a positive float32 whose reciprocal is a finite float32 too, since every
 * scale is stored with its `scaleInv`.
 */
export function checkScale(value: unknown, argument: string): number {
  assertNumber(value, argument);
  const scale = Math.fround(value);
  if (!(scale > 0) || !Number.isFinite(scale) || !Number.isFinite(Math.fround(1 / scale))) {
    throw new RangeError(
      `${argument}: expected a positive finite float32 whose reciprocal is a finite float32 too, found ${value}`,
    );
  }
  return scale;
}
