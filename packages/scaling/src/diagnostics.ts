import { type FormatLike, resolveFormat } from '@fp8lm/fp8-format';
import { AT_MAX, codeTables } from './code-tables.js';
import { checkScale } from './compute-scale.js';
import { assertFloat32Array, describe } from './validate.js';

/**
 * What quantizing one tensor did to it, for plots. Fractions are of `count` (0 for an empty tensor).
 */
export interface TensorDiagnostics {
  /** Number of elements. */
  readonly count: number;
  /** Non-zero inputs whose code decodes to zero (flushed by underflow). */
  readonly underflowCount: number;
  /** `underflowCount / count`. */
  readonly underflowFraction: number;
  /**
   * Finite inputs whose code is ±maxFinite, ±Inf or NaN: clamped by a saturating cast, overflowed by a
   * non-saturating one, or sitting exactly at the maximum (FP8-LM counts those too; with current scaling
   * the amax element always lands there).
   */
  readonly saturationCount: number;
  /** `saturationCount / count`. */
  readonly saturationFraction: number;
  /** Inputs that are NaN or ±Inf (they are not counted as underflows or saturations). */
  readonly nonFinite: number;
  /** `log2(max |x| / min |x|)` over the finite non-zero inputs: the range the data needs (0 if none). */
  readonly dynamicRangeLog2: number;
  /**
   * How many binades (`[2^e, 2^(e+1))`) of the format the quantized values occupy: distinct exponents among
   * the finite non-zero decoded codes, subnormal binades included.
   */
  readonly usedBinades: number;
  /** The binades the format offers, smallest subnormal to maxFinite (E4M3: 18, E5M2: 32). */
  readonly formatBinades: number;
  /**
   * `log2(maxFinite / (amax · scale))`, amax over the finite inputs: how many binades of headroom the scale
   * left (negative: the largest values were clipped). +Infinity when there is no non-zero finite input.
   */
  readonly headroomLog2: number;
}

/**
 * Diagnoses one quantized tensor in a single pass: per element one decode-table lookup and a few
 * compares, no allocation per element, so a trainer can leave it on. `codes` must be what `quantize`
 * produced from `src` with `scale` (`q = cast(x * scale)`).
 * @example
 * const d = diagnose(E4M3, x, codes, meta.scale);
 * plot('underflow', d.underflowFraction);
 */
export function diagnose(
  format: FormatLike,
  src: Float32Array,
  codes: Uint8Array | Uint16Array,
  scale: number,
): TensorDiagnostics {
  const fmt = resolveFormat(format);
  assertFloat32Array(src, 'src');
  checkCodes(fmt.storage, fmt.name, codes);
  if (codes.length !== src.length) {
    throw new RangeError(`codes.length: expected ${src.length} (src.length), found ${codes.length}`);
  }
  const s = checkScale(scale, 'scale');
  const { values, flags, binade, binadeCount } = codeTables(fmt);
  // One flag per code seen: binades are counted from these afterwards, not per element.
  const seen = new Uint8Array(values.length);
  const n = src.length;
  let underflows = 0;
  let saturations = 0;
  let nonFinite = 0;
  let maxAbs = 0;
  let minAbs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const x = src[i];
    const c = codes[i];
    seen[c] = 1;
    const a = Math.abs(x);
    if (a === Number.POSITIVE_INFINITY || a !== a) {
      nonFinite++;
      continue;
    }
    // Any flag: ±max, ±Inf or NaN from a finite input.
    if (flags[c] !== 0) saturations++;
    if (a !== 0) {
      if (values[c] === 0) underflows++;
      if (a > maxAbs) maxAbs = a;
      if (a < minAbs) minAbs = a;
    }
  }
  const used = new Uint8Array(binadeCount);
  let usedBinades = 0;
  for (let c = 0; c < seen.length; c++) {
    const b = binade[c];
    if (seen[c] && b >= 0 && used[b] === 0) {
      used[b] = 1;
      usedBinades++;
    }
  }
  return {
    count: n,
    underflowCount: underflows,
    underflowFraction: n === 0 ? 0 : underflows / n,
    saturationCount: saturations,
    saturationFraction: n === 0 ? 0 : saturations / n,
    nonFinite,
    dynamicRangeLog2: maxAbs === 0 ? 0 : Math.log2(maxAbs / minAbs),
    usedBinades,
    formatBinades: binadeCount,
    headroomLog2:
      maxAbs === 0 ? Number.POSITIVE_INFINITY : Math.log2(fmt.maxFinite / Math.fround(maxAbs * s)),
  };
}

/**
 * Counts codes at ±maxFinite or ±Inf: the saturation count {@link GradientAutoScaler} wants, from the
 * codes alone (for example those of a gradient after the FP8 all-reduce). NaN codes are not counted:
 * halving μ cannot cure a NaN. Quantize with `saturate: true` (the default), or E4M3 overflows become NaN.
 * @example auto.update(countSaturated(E4M3, gradCodes), gradCodes.length);
 */
export function countSaturated(format: FormatLike, codes: Uint8Array | Uint16Array): number {
  const fmt = resolveFormat(format);
  checkCodes(fmt.storage, fmt.name, codes);
  const { flags } = codeTables(fmt);
  let count = 0;
  for (let i = 0; i < codes.length; i++) count += flags[codes[i]] & AT_MAX;
  return count;
}

function checkCodes(storage: 'Uint8Array' | 'Uint16Array', name: string, codes: unknown): void {
  const ok = storage === 'Uint16Array' ? codes instanceof Uint16Array : codes instanceof Uint8Array;
  if (!ok) throw new TypeError(`codes: ${name} codes are stored in a ${storage}, found ${describe(codes)}`);
}
