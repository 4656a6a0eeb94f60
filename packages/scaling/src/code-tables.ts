import { dequantize, type FloatFormat } from '@fp8lm/fp8-format';

/** Per-code facts the diagnostics look up instead of decoding, built once per format. */
export interface CodeTables {
  /** Every code's value (NaN for codes beyond a sub-byte format's width). */
  readonly values: Float32Array;
  /** Bit 1: the code is ±maxFinite or ±Inf ("saturated"); bit 2: the code is NaN. */
  readonly flags: Uint8Array;
  /** floor(log2 |value|) minus {@link CodeTables.minBinade} for finite non-zero codes, -1 otherwise. */
  readonly binade: Int16Array;
  /** floor(log2) of the smallest positive value: the lowest binade of the format. */
  readonly minBinade: number;
  /** Number of binades from the smallest positive value to maxFinite. */
  readonly binadeCount: number;
}

/** Flag bit: ±maxFinite or ±Inf. */
export const AT_MAX = 1;
/** Flag bit: NaN. */
export const IS_NAN = 2;

const cache = new Map<string, CodeTables>();

/** The tables of `fmt` (codes of 16-bit formats get 65,536 entries, the rest 256). */
export function codeTables(fmt: FloatFormat): CodeTables {
  let t = cache.get(fmt.name);
  if (t === undefined) {
    const size = Math.max(256, 2 ** fmt.bits);
    // fp8-format's bulk decoder is table-driven (FP16's 65,536 codes decode in a blink, unlike one
    // `decode` call each) and gives NaN for codes beyond a sub-byte format's width.
    const codes = fmt.storage === 'Uint16Array' ? new Uint16Array(size) : new Uint8Array(size);
    for (let code = 0; code < size; code++) codes[code] = code;
    const values = new Float32Array(size);
    dequantize(fmt, codes, values);
    const flags = new Uint8Array(size);
    const binade = new Int16Array(size).fill(-1);
    const minBinade = Math.floor(Math.log2(fmt.minSubnormal));
    const binadeCount = Math.floor(Math.log2(fmt.maxFinite)) - minBinade + 1;
    for (let code = 0; code < size; code++) {
      const v = values[code];
      const a = Math.abs(v);
      if (v !== v) flags[code] = IS_NAN;
      else if (a === fmt.maxFinite || a === Number.POSITIVE_INFINITY) flags[code] = AT_MAX;
      // log2 of a format value (a power of two times a short mantissa) floors exactly.
      if (a > 0 && Number.isFinite(a)) binade[code] = Math.floor(Math.log2(a)) - minBinade;
    }
    t = { values, flags, binade, minBinade, binadeCount };
    cache.set(fmt.name, t);
  }
  return t;
}
