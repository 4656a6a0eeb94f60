// Decoding (and, in encode functions below, encoding) of one low-precision float format, picked by
// the FMT_* constants that format-constants.ts prepends. WGSL has no 8-bit float type: codes are
// u32s holding the code's bits, values are built from bits so every decode is exact.

// The f32 value of a code (NaN codes give a quiet NaN).
fn decode_code(code: u32) -> f32 {
  if (FMT_KIND == 4u) { // E8M0: 2^(code - 127), 0xFF is NaN
    if (code == 0xffu) { return bitcast<f32>(0x7fc00000u); }
    if (code == 0u) { return bitcast<f32>(0x00400000u); } // 2^-127, an f32 subnormal
    return bitcast<f32>(code << 23u);
  }
  let mag_mask = (1u << (FMT_E + FMT_M)) - 1u;
  let sign_bit = select(0u, (code >> (FMT_E + FMT_M)) & 1u, FMT_SIGNED);
  let mag = code & mag_mask;
  if (FMT_KIND == 3u && code == (1u << (FMT_E + FMT_M))) { return bitcast<f32>(0x7fc00000u); } // FNUZ NaN
  if (FMT_KIND == 2u && mag == mag_mask) { return bitcast<f32>(0x7fc00000u); } // FN: S.1111.111 is NaN
  let e = mag >> FMT_M;
  let m = mag & ((1u << FMT_M) - 1u);
  if (FMT_KIND == 1u && e == (1u << FMT_E) - 1u) { // IEEE: all-ones exponent
    if (m != 0u) { return bitcast<f32>(0x7fc00000u); }
    return bitcast<f32>((sign_bit << 31u) | 0x7f800000u);
  }
  if (FMT_E == 8u) { // BF16: the top half of an f32, subnormals included
    return bitcast<f32>(code << 16u);
  }
  var v: f32;
  if (e == 0u) {
    // Subnormal: m · 2^(1 - bias - M); normal in f32 for every format narrower than bf16.
    v = f32(m) * pow2i(1 - FMT_BIAS - i32(FMT_M));
  } else {
    v = bitcast<f32>((u32(i32(e) - FMT_BIAS + 127) << 23u) | (m << (23u - FMT_M)));
  }
  return select(v, -v, sign_bit == 1u);
}
