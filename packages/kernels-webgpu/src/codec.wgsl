// Decoding (and, in encode functions below, encoding) of one low-precision float format, picked by
// the FMT_* constants that format-constants.ts prepends. WGSL has no 8-bit float type: codes are
// u32s holding the code's bits, values are built from bits so every decode is exact.

// A quiet NaN. Not `bitcast<f32>(0x7fc00000u)`: that is a const-expression, and WGSL rejects a NaN
// there ("value nan cannot be represented as 'f32'"); a load from a `var` is evaluated at run time.
fn codec_nan() -> f32 {
  var bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// The f32 value of a code (NaN codes give a quiet NaN).
fn decode_code(code: u32) -> f32 {
  if (FMT_KIND == 4u) { // E8M0: 2^(code - 127), 0xFF is NaN
    if (code == 0xffu) { return codec_nan(); }
    if (code == 0u) { return bitcast<f32>(0x00400000u); } // 2^-127, an f32 subnormal
    return bitcast<f32>(code << 23u);
  }
  let mag_mask = (1u << (FMT_E + FMT_M)) - 1u;
  let sign_bit = select(0u, (code >> (FMT_E + FMT_M)) & 1u, FMT_SIGNED);
  let mag = code & mag_mask;
  if (FMT_KIND == 3u && code == (1u << (FMT_E + FMT_M))) { return codec_nan(); } // FNUZ NaN
  if (FMT_KIND == 2u && mag == mag_mask) { return codec_nan(); } // FN: S.1111.111 is NaN
  let e = mag >> FMT_M;
  let m = mag & ((1u << FMT_M) - 1u);
  if (FMT_KIND == 1u && e == (1u << FMT_E) - 1u) { // IEEE: all-ones exponent
    if (m != 0u) { return codec_nan(); }
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

// ---- Encoding (and an integer-only decode for ops that must keep f32 subnormals) ----
// These need exact-f32.wgsl (f32_parts) in the same shader. They follow fp8-format's encodeFloat32
// step by step on the f32 bits, so no f32 arithmetic (which may flush subnormals) is involved.

// Whether the format has a distinct -0 code (not FNUZ, not the unsigned E8M0).
const FMT_NEG_ZERO: bool = FMT_SIGNED && FMT_KIND != 3u;

// The code of an overflowing magnitude (finite past max, or ±inf) with sign bits `sign`.
fn overflow_code(sign: u32, saturate: bool) -> u32 {
  if (saturate) {
    return FMT_MAX_CODE | sign;
  }
  if (FMT_KIND == 1u) {
    return FMT_INF_CODE | sign;
  }
  // E4M3 keeps the sign on its NaN (0x7F/0xFF, as CUDA); FNUZ and E8M0 have a single NaN.
  return select(FMT_NAN_CODE, FMT_NAN_CODE | sign, FMT_NEG_ZERO);
}

// The code of the f32 with bits `x`. Round to nearest even, or, with `stochastic`, round the
// magnitude up iff u24 · 2^-24 < its fractional distance between the two neighbouring codes (u24 is
// the top 24 bits of the element's counter-based random word). NaN gives the format's NaN code, or 0
// in a format without NaN (the host reference throws there; a shader cannot).
fn encode_bits(x: u32, saturate: bool, stochastic: bool, u24: u32) -> u32 {
  let mag = x & 0x7fffffffu;
  if (mag > 0x7f800000u) {
    return FMT_NAN_CODE;
  }
  let negative = (x >> 31u) == 1u;
  if (!FMT_SIGNED && negative && mag != 0u) {
    return FMT_NAN_CODE; // E8M0 has no negative values
  }
  var sign = select(0u, 1u << (FMT_BITS - 1u), FMT_SIGNED && negative);
  if (mag == 0x7f800000u) {
    return overflow_code(sign, saturate);
  }
  if (mag == 0u) {
    return select(0u, sign, FMT_NEG_ZERO);
  }
  let p = f32_parts(mag);
  // Without subnormals (E8M0) the smallest code is the normal number 2^-bias.
  let emin = select(-FMT_BIAS, 1 - FMT_BIAS, FMT_SUBNORMALS);
  // The value is (base + p.m / 2^shift) codes: shift drops the bits below one step of the format.
  var base: i32;
  var shift: u32;
  if (p.e >= emin) {
    base = ((p.e + FMT_BIAS) << FMT_M) - (1 << FMT_M);
    shift = 23u - FMT_M;
  } else {
    if (!FMT_SUBNORMALS) {
      return 0u; // E8M0 below 2^-127: its smallest code
    }
    base = 0;
    shift = u32(23 - i32(FMT_M) + emin - p.e);
  }
  var n = 0u;
  var rest = p.m; // p.m < 2^24 ≤ 2^shift when shift ≥ 32
  if (shift < 32u) {
    n = p.m >> shift;
    rest = p.m & ((1u << shift) - 1u);
  }
  var up: bool;
  if (stochastic) {
    // rest / 2^shift > u24 / 2^24  ⇔  u24 < ceil(rest · 2^(24 - shift)), all in integers.
    var r24: u32;
    if (shift <= 24u) {
      r24 = rest << (24u - shift);
    } else if (shift - 24u >= 24u) {
      r24 = 1u; // 0 < rest / 2^shift < 2^-24
    } else {
      let t = shift - 24u;
      r24 = (rest >> t) + select(0u, 1u, (rest & ((1u << t) - 1u)) != 0u);
    }
    up = u24 < r24;
  } else if (shift >= 32u) {
    up = false; // below half a step
  } else {
    let half = 1u << (shift - 1u);
    up = rest > half || (rest == half && ((base + i32(n)) & 1) == 1);
  }
  let code = u32(base + i32(n)) + select(0u, 1u, up);
  if (code > FMT_MAX_CODE) {
    return overflow_code(sign, saturate);
  }
  if (code == 0u && !FMT_NEG_ZERO) {
    sign = 0u;
  }
  return code | sign;
}

// The f32 bits of a code, by integer operations only (decode_code's value, but subnormal results
// such as E8M0's 2^-127 or BF16 subnormals never pass through f32 arithmetic). Codes beyond the
// format's width decode to NaN, as fp8-format's decode tables.
fn decode_code_bits(code: u32) -> u32 {
  if (code >= (1u << FMT_BITS)) {
    return 0x7fc00000u;
  }
  if (FMT_KIND == 4u) { // E8M0
    if (code == 0xffu) { return 0x7fc00000u; }
    if (code == 0u) { return 0x00400000u; }
    return code << 23u;
  }
  let mag_mask = (1u << (FMT_E + FMT_M)) - 1u;
  let sign = select(0u, ((code >> (FMT_E + FMT_M)) & 1u) << 31u, FMT_SIGNED);
  let mag = code & mag_mask;
  if (FMT_KIND == 3u && code == (1u << (FMT_E + FMT_M))) { return 0x7fc00000u; } // FNUZ NaN
  if (FMT_KIND == 2u && mag == mag_mask) { return 0x7fc00000u; } // FN: S.1111.111
  let e = mag >> FMT_M;
  let m = mag & ((1u << FMT_M) - 1u);
  if (FMT_KIND == 1u && e == (1u << FMT_E) - 1u) {
    return select(sign | 0x7f800000u, 0x7fc00000u, m != 0u);
  }
  if (FMT_E == 8u) { // BF16: the top half of an f32
    return code << 16u;
  }
  if (e == 0u) {
    if (m == 0u) { return sign; }
    // Subnormal code m · 2^(1 - bias - M): a normal f32 for every format narrower than bf16.
    let lead = firstLeadingBit(m);
    let ex = i32(lead) + 1 - FMT_BIAS - i32(FMT_M);
    return sign | (u32(ex + 127) << 23u) | (((m << (23u - lead)) & 0x7fffffu));
  }
  return sign | (u32(i32(e) - FMT_BIAS + 127) << 23u) | (m << (23u - FMT_M));
}
