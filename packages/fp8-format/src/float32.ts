// Scratch views for reading a float32's bits without allocating.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The IEEE bits of `Math.fround(x)`. */
export function float32Bits(x: number): number {
  f32[0] = x;
  return u32[0];
}

/** The float32 whose bits are `bits`. */
export function float32FromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0];
}

/** floor(log2(a)) for a finite positive float32 `a`, exactly (no Math.log2 rounding). */
export function float32Exponent(a: number): number {
  const bits = float32Bits(a);
  const field = (bits >>> 23) & 0xff;
  if (field !== 0) return field - 127;
  // Subnormal float32: the leading mantissa bit sets the exponent.
  return 31 - Math.clz32(bits & 0x7fffff) - 149;
}
