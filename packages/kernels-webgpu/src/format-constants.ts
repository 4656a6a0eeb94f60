import { type FloatFormat, FORMATS, type FormatName } from '@fp8lm/fp8-format';

/** How a format spends its special codes; the FMT_KIND constant of codec.wgsl. */
export function formatKind(fmt: FloatFormat): number {
  if (!fmt.signed) return 4; // E8M0
  if (fmt.hasInfinity) return 1; // IEEE-like: E5M2, FP16, BF16
  if (fmt.nanCode === null) return 0; // no specials: FP6, FP4
  if (!fmt.hasNegativeZero) return 3; // FNUZ: 0x80 is the one NaN
  return 2; // FN: E4M3, only S.1111.111 is NaN
}

/**
 * The WGSL `const` declarations that select a format in codec.wgsl (and name it in a pipeline key).
 * Exact values for every field, so the shader's arithmetic matches @fp8lm/fp8-format bit for bit.
 */
export function formatConstants(name: FormatName): string {
  const fmt = FORMATS[name];
  const lines = [
    `const FMT_KIND: u32 = ${formatKind(fmt)}u;`,
    `const FMT_E: u32 = ${fmt.exponentBits}u;`,
    `const FMT_M: u32 = ${fmt.mantissaBits}u;`,
    `const FMT_BIAS: i32 = ${fmt.bias};`,
    `const FMT_SIGNED: bool = ${fmt.signed};`,
    `const FMT_SUBNORMALS: bool = ${fmt.hasSubnormals};`,
    `const FMT_BITS: u32 = ${fmt.bits}u;`,
    `const FMT_MAX_CODE: u32 = ${fmt.maxCode}u;`,
    `const FMT_NAN_CODE: u32 = ${fmt.nanCode ?? 0}u;`,
    `const FMT_INF_CODE: u32 = ${fmt.infinityCode ?? 0}u;`,
    // maxFinite as bits: a decimal literal could round differently in the shader compiler.
    `const FMT_MAX_FINITE: f32 = bitcast<f32>(${f32Bits(fmt.maxFinite)}u);`,
  ];
  return `${lines.join('\n')}\n`;
}

function f32Bits(x: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setFloat32(0, x);
  return view.getUint32(0);
}
