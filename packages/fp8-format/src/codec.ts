import { float32Exponent } from './float32.js';
import { type FloatFormat, type FormatLike, resolveFormat } from './formats.js';

/** Options of {@link encode}. */
export interface EncodeOptions {
  /**
   * true (default): finite overflow and ±Inf clamp to ±max, NaN stays NaN (CUDA `__NV_SATFINITE`).
   * false: overflow becomes Inf where the format has it, else NaN (CUDA `__NV_NOSAT`; for FP16/BF16 this is
   * `__float2half_rn` / `__float2bfloat16_rn`).
   */
  saturate?: boolean;
  /** 'nearest-even' (default) or 'stochastic'. */
  rounding?: 'nearest-even' | 'stochastic';
  /** Uniform [0, 1) source for stochastic rounding (default Math.random). */
  random?: () => number;
}

/** Throws unless `saturate: false` can be honoured by `fmt` (it needs an Inf or a NaN to overflow into). */
export function checkSaturate(fmt: FloatFormat, saturate: boolean): void {
  if (!saturate && fmt.nanCode === null && fmt.infinityCode === null) {
    throw new RangeError(
      `saturate: false needs a format with Inf or NaN to overflow into; ${fmt.name} has neither`,
    );
  }
}

function overflowCode(fmt: FloatFormat, sign: number, saturate: boolean): number {
  if (saturate) return fmt.maxCode | sign;
  if (fmt.infinityCode !== null) return fmt.infinityCode | sign;
  // E4M3 (CUDA keeps the sign: ±overflow → 0x7F/0xFF); FNUZ and E8M0 have a single NaN.
  if (fmt.hasNegativeZero) return (fmt.nanCode as number) | sign;
  return fmt.nanCode as number;
}

/**
 * The reference encoder, in exact double arithmetic: `x` (already a float32 value) to a code.
 * `u`, if given, is a uniform draw in [0, 1) and selects stochastic rounding: the magnitude rounds up
 * with probability equal to its fractional distance between the two neighbouring codes.
 * Returns -1 for NaN in a format without NaN (the caller turns that into an error).
 */
export function encodeFloat32(fmt: FloatFormat, x: number, saturate: boolean, u?: number): number {
  if (x !== x) return fmt.nanCode ?? -1;
  const negative = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  if (!fmt.signed) {
    // E8M0: no sign and no zero. Negative values are NaN; values below 2^-127 (0 included) take the smallest code.
    if (negative && a !== 0) return fmt.nanCode as number;
  }
  let sign = fmt.signed && negative ? 1 << (fmt.bits - 1) : 0;
  if (a === Number.POSITIVE_INFINITY) return overflowCode(fmt, sign, saturate);
  const m = fmt.mantissaBits;
  // Without subnormals (E8M0) the smallest code is already a normal number 2^-bias.
  const emin = fmt.hasSubnormals ? 1 - fmt.bias : -fmt.bias;
  let base: number;
  let quantum: number;
  if (a === 0) {
    base = 0;
    quantum = 1;
  } else {
    const e = float32Exponent(a);
    if (e >= emin || !fmt.hasSubnormals) {
      if (e < emin) return 0; // E8M0 below its smallest power of two
      base = ((e + fmt.bias) << m) - (1 << m);
      quantum = 2 ** (e - m);
    } else {
      base = 0;
      quantum = fmt.minSubnormal;
    }
  }
  // a / quantum and its fractional part are exact: a has 24 significant bits, quantum is a power of two.
  const k = a / quantum;
  let n = Math.floor(k);
  const r = k - n;
  if (u !== undefined) {
    if (u < r) n++;
  } else if (r > 0.5 || (r === 0.5 && ((base + n) & 1) === 1)) {
    n++;
  }
  const code = base + n;
  if (code > fmt.maxCode) return overflowCode(fmt, sign, saturate);
  if (code === 0 && !fmt.hasNegativeZero) sign = 0;
  return code | sign;
}

/**
 * Encodes one number. `x` is first rounded to float32, as the CUDA float conversions take a float.
 * @example encode(E4M3, 0.3) // → 0x2a (0.3125)
 */
export function encode(format: FormatLike, x: number, options: EncodeOptions = {}): number {
  const fmt = resolveFormat(format);
  if (typeof x !== 'number') throw new TypeError(`x: expected a number, found ${typeof x}`);
  if (options.saturate !== undefined && typeof options.saturate !== 'boolean') {
    throw new TypeError(`saturate: expected a boolean, found ${String(options.saturate)}`);
  }
  const saturate = options.saturate ?? true;
  checkSaturate(fmt, saturate);
  let u: number | undefined;
  if (options.rounding === 'stochastic') {
    const random: unknown = options.random ?? Math.random;
    if (typeof random !== 'function') {
      throw new TypeError(`random: expected a function, found ${typeof random}`);
    }
    u = random() as number;
    if (typeof u !== 'number' || !(u >= 0 && u < 1)) {
      throw new RangeError(`random: expected a number in [0, 1), found ${String(u)}`);
    }
  } else if (options.rounding !== undefined && options.rounding !== 'nearest-even') {
    throw new RangeError(
      `rounding: expected 'nearest-even' or 'stochastic', found ${JSON.stringify(options.rounding)}`,
    );
  }
  const code = encodeFloat32(fmt, Math.fround(x), saturate, u);
  if (code < 0) throw new RangeError(`x: NaN has no encoding in ${fmt.name}`);
  return code;
}

// Each format's NaN codes as a set: FP16 and BF16 have thousands, and the 65536-entry decode tables ask
// about every code.
const nanSets = new WeakMap<FloatFormat, ReadonlySet<number>>();

function isNaNCodeOf(fmt: FloatFormat, code: number): boolean {
  let set = nanSets.get(fmt);
  if (set === undefined) {
    set = new Set(fmt.nanCodes);
    nanSets.set(fmt, set);
  }
  return set.has(code);
}

/** The value of a code, computed from its fields (the reference decoder). */
export function decodeCode(fmt: FloatFormat, code: number): number {
  const m = fmt.mantissaBits;
  const signMask = fmt.signed ? 1 << (fmt.bits - 1) : 0;
  if (isNaNCodeOf(fmt, code)) return Number.NaN;
  const mag = code & ~signMask;
  const s = code & signMask ? -1 : 1;
  if (fmt.infinityCode !== null && mag === fmt.infinityCode) return s * Number.POSITIVE_INFINITY;
  if (!fmt.hasSubnormals) return s * 2 ** (mag - fmt.bias);
  const field = mag >> m;
  const mant = mag & ((1 << m) - 1);
  if (field === 0) return s * mant * fmt.minSubnormal;
  return s * 2 ** (field - fmt.bias) * (1 + mant / 2 ** m);
}

/** Checks that `code` is an integer code of `fmt`. */
export function checkCode(fmt: FloatFormat, code: number, argument = 'code'): void {
  if (!Number.isInteger(code) || code < 0 || code >= 2 ** fmt.bits) {
    throw new RangeError(
      `${argument}: expected an integer in 0..${2 ** fmt.bits - 1} for ${fmt.name}, found ${code}`,
    );
  }
}

/**
 * Decodes one code to its value (NaN codes give NaN, -0 is kept).
 * @example decode(E5M2, 0x7c) // → Infinity
 */
export function decode(format: FormatLike, code: number): number {
  const fmt = resolveFormat(format);
  checkCode(fmt, code);
  return decodeCode(fmt, code);
}

/** True if `code` decodes to NaN in `format`. */
export function isNaNCode(format: FormatLike, code: number): boolean {
  return isNaNCodeOf(resolveFormat(format), code);
}
