// Bulk float32 → FP16 / BF16 by integer arithmetic on the float32 bits (round to nearest even).

/** FP16 code of the float32 with bits `b`. */
export function float32BitsToHalf(b: number, saturate: boolean): number {
  const sign = (b >>> 16) & 0x8000;
  const u = b & 0x7fffffff;
  if (u > 0x7f800000) return 0x7fff; // NaN, canonical like CUDA
  if (u >= 0x477ff000) return sign | (saturate ? 0x7bff : 0x7c00); // ≥ 65520 rounds past 65504; also ±Inf
  if (u >= 0x38800000) {
    // Normal: rebias the exponent, keep 10 mantissa bits, round on the 13 dropped ones.
    let h = (u - 0x38000000) >>> 13;
    const rest = u & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
    return sign | h;
  }
  if (u <= 0x33000000) return sign; // ≤ 2^-25, half the smallest subnormal: ties go to the even zero
  // Subnormal: value = mant * 2^(e-150); in units of 2^-24 that is mant >> (126 - e).
  const e = u >>> 23;
  const mant = (u & 0x7fffff) | 0x800000;
  const shift = 126 - e;
  let h = mant >>> shift;
  const rest = mant & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1) === 1)) h++;
  return sign | h;
}

/** BF16 code of the float32 with bits `b`. */
export function float32BitsToBFloat16(b: number, saturate: boolean): number {
  const u = b & 0x7fffffff;
  if (u > 0x7f800000) return 0x7fff; // NaN, canonical like CUDA
  const h = ((b >>> 0) + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  if (saturate && (h & 0x7fff) === 0x7f80) return (h & 0x8000) | 0x7f7f;
  return h;
}
