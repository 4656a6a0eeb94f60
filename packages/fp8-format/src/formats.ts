import type { CodeDType } from '@fp8lm/tensor-interface';

/** Name of a format: the same string as its tensor-interface dtype. */
export type FormatName = CodeDType;

/**
 * A low-precision binary floating-point format. Codes are unsigned integers
 * (`bits` wide, sign in the top bit for signed formats).
 */
export interface FloatFormat {
  readonly name: FormatName;
  /** Total code width in bits (8, 6, 4 or 16). */
  readonly bits: number;
  readonly exponentBits: number;
  readonly mantissaBits: number;
  readonly bias: number;
  /** Largest finite value. */
  readonly maxFinite: number;
  /** Smallest positive normal value. */
  readonly minNormal: number;
  /** Smallest positive value (equals `minNormal` when the format has no subnormals). */
  readonly minSubnormal: number;
  readonly hasInfinity: boolean;
  /** False for the FNUZ formats (0x80 is NaN there) and for unsigned E8M0. */
  readonly hasNegativeZero: boolean;
  readonly hasSubnormals: boolean;
  /** False only for E8M0, which has neither a sign nor a zero. */
  readonly signed: boolean;
  /** Code of +maxFinite. */
  readonly maxCode: number;
  /** Code of +Infinity, or null. */
  readonly infinityCode: number | null;
  /** The NaN code `encode` produces, or null when the format has no NaN. */
  readonly nanCode: number | null;
  /** Every code that decodes to NaN, ascending. */
  readonly nanCodes: readonly number[];
  /** Storage element class: codes of 16-bit formats live in Uint16Array, the rest in Uint8Array. */
  readonly storage: 'Uint8Array' | 'Uint16Array';
}

interface Spec {
  name: FormatName;
  e: number;
  m: number;
  bias: number;
  /** 'ieee': all-ones exponent is Inf/NaN; 'fn': only S.1..1.1..1 is NaN; 'fnuz': only 0x80 is NaN; 'none': no specials. */
  specials: 'ieee' | 'fn' | 'fnuz' | 'none';
  signed?: boolean;
  subnormals?: boolean;
}

function define(spec: Spec): FloatFormat {
  const { name, e, m, bias, specials } = spec;
  const signed = spec.signed ?? true;
  const hasSubnormals = spec.subnormals ?? true;
  const bits = e + m + (signed ? 1 : 0);
  const magMask = (1 << (e + m)) - 1;
  const signMask = signed ? 1 << (e + m) : 0;
  const maxExpField = (1 << e) - 1;
  let maxCode: number;
  let nanCode: number | null = null;
  let infinityCode: number | null = null;
  const nanCodes: number[] = [];
  switch (specials) {
    case 'ieee':
      maxCode = ((maxExpField - 1) << m) | ((1 << m) - 1);
      infinityCode = maxExpField << m;
      nanCode = magMask;
      for (let mant = 1; mant < 1 << m; mant++) nanCodes.push(infinityCode | mant);
      if (signed) for (let mant = 1; mant < 1 << m; mant++) nanCodes.push(signMask | infinityCode | mant);
      break;
    case 'fn':
      maxCode = magMask - 1;
      nanCode = magMask;
      nanCodes.push(magMask);
      if (signed) nanCodes.push(signMask | magMask);
      break;
    case 'fnuz':
      maxCode = magMask;
      nanCode = signMask;
      nanCodes.push(signMask);
      break;
    case 'none':
      // E8M0 is the one unsigned format; its all-ones code is NaN.
      maxCode = signed ? magMask : magMask - 1;
      if (!signed) {
        nanCode = magMask;
        nanCodes.push(magMask);
      }
      break;
  }
  const emin = 1 - bias;
  const maxExp = (maxCode >> m) - bias;
  const maxMant = maxCode & ((1 << m) - 1);
  return Object.freeze({
    name,
    bits,
    exponentBits: e,
    mantissaBits: m,
    bias,
    maxFinite: 2 ** maxExp * (1 + maxMant / 2 ** m),
    minNormal: hasSubnormals ? 2 ** emin : 2 ** -bias,
    minSubnormal: hasSubnormals ? 2 ** (emin - m) : 2 ** -bias,
    hasInfinity: infinityCode !== null,
    hasNegativeZero: signed && specials !== 'fnuz',
    hasSubnormals,
    signed,
    maxCode,
    infinityCode,
    nanCode,
    nanCodes: Object.freeze(nanCodes.sort((a, b) => a - b)),
    storage: bits > 8 ? 'Uint16Array' : 'Uint8Array',
  });
}

/** FP8 E4M3 (OCP "fn"): bias 7, max 448, no Inf, NaN = S.1111.111. Weights, activations, weight grads. */
export const E4M3 = define({ name: 'e4m3', e: 4, m: 3, bias: 7, specials: 'fn' });
/** FP8 E5M2: bias 15, max 57344, IEEE-style Inf/NaN. Output gradients (HYBRID recipe). */
export const E5M2 = define({ name: 'e5m2', e: 5, m: 2, bias: 15, specials: 'ieee' });
/** FP8 E4M3FNUZ (AMD/Graphcore): bias 8, max 240, no Inf, no -0, NaN = 0x80. */
export const E4M3FNUZ = define({ name: 'e4m3fnuz', e: 4, m: 3, bias: 8, specials: 'fnuz' });
/** FP8 E5M2FNUZ (AMD/Graphcore): bias 16, max 57344, no Inf, no -0, NaN = 0x80. */
export const E5M2FNUZ = define({ name: 'e5m2fnuz', e: 5, m: 2, bias: 16, specials: 'fnuz' });
/** E8M0 (OCP MX block scale): unsigned powers of two 2^-127..2^127, NaN = 0xFF, no zero. */
export const E8M0 = define({
  name: 'e8m0',
  e: 8,
  m: 0,
  bias: 127,
  specials: 'none',
  signed: false,
  subnormals: false,
});
/** FP6 E3M2 (OCP MX): bias 3, max 28, no Inf/NaN. */
export const E3M2 = define({ name: 'e3m2', e: 3, m: 2, bias: 3, specials: 'none' });
/** FP6 E2M3 (OCP MX): bias 1, max 7.5, no Inf/NaN. */
export const E2M3 = define({ name: 'e2m3', e: 2, m: 3, bias: 1, specials: 'none' });
/** FP4 E2M1 (OCP MX): bias 1, max 6, no Inf/NaN. */
export const E2M1 = define({ name: 'e2m1', e: 2, m: 1, bias: 1, specials: 'none' });
/** IEEE binary16. */
export const FP16 = define({ name: 'f16', e: 5, m: 10, bias: 15, specials: 'ieee' });
/** bfloat16 (the top half of a float32). */
export const BF16 = define({ name: 'bf16', e: 8, m: 7, bias: 127, specials: 'ieee' });

/** Every format, by name. */
export const FORMATS: Readonly<Record<FormatName, FloatFormat>> = Object.freeze({
  e4m3: E4M3,
  e5m2: E5M2,
  e4m3fnuz: E4M3FNUZ,
  e5m2fnuz: E5M2FNUZ,
  e8m0: E8M0,
  e3m2: E3M2,
  e2m3: E2M3,
  e2m1: E2M1,
  f16: FP16,
  bf16: BF16,
});

/** A format descriptor or its name. */
export type FormatLike = FloatFormat | FormatName;

/** Resolves a descriptor or a name; throws a TypeError naming `argument` for anything else. */
export function resolveFormat(format: FormatLike, argument = 'format'): FloatFormat {
  if (typeof format === 'string' && Object.hasOwn(FORMATS, format)) return FORMATS[format];
  if (typeof format === 'object' && format !== null && FORMATS[format.name as FormatName] === format)
    return format;
  const found =
    typeof format === 'object' && format !== null
      ? `a descriptor named ${JSON.stringify((format as { name?: unknown }).name)}`
      : JSON.stringify(format);
  throw new TypeError(
    `${argument}: expected one of ${Object.keys(FORMATS).join(', ')} (or its descriptor), found ${found}`,
  );
}
