// Float32 helpers. Scales travel to kernels as float32 values, so every scale this package produces is
// an exact float32 and the host and the device multiply by the same number.

/** The largest finite float32, 2^128 - 2^104. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The smallest scale this package produces: 2^-127, so that `1 / scale` (at most 2^127) is still a
 * finite float32 and `scaleInv` can always be stored next to `scale`.
 */
export const MIN_SCALE = 2 ** -127;

// Scratch views for reading a float32's bits without allocating.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The largest power of two `<= a` for a positive finite float32 `a`: its mantissa bits cleared, as
 * TransformerEngine's `force_pow_2_scales` does (`bits & 0xFF800000`), with the subnormal case handled
 * by keeping only the leading mantissa bit (TE's mask would give 0 there).
 */
export function powerOfTwoFloor(a: number): number {
  f32[0] = a;
  const bits = u32[0];
  if ((bits >>> 23) & 0xff) {
    u32[0] = bits & 0xff800000;
  } else {
    u32[0] = 1 << (31 - Math.clz32(bits & 0x7fffff));
  }
  return f32[0];
}

/** `1 / scale` as a float32: the `scaleInv` stored next to a scale (TE computes `1.f / scale` in float). */
export function inverseScale(scale: number): number {
  return Math.fround(1 / scale);
}
