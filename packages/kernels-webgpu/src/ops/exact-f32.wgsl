// Exact float32 arithmetic on IEEE bits, shared by the format ops (quantize, dequantize, computeScale,
// quantizeBlocks, amax; codec.wgsl's encode_bits needs f32_parts). GPUs (and SwiftShader) may flush f32
// subnormals to zero in float arithmetic, and WGSL's f32 division is not correctly rounded, so the
// products and quotients that must match @fp8lm/fp8-format bit for bit are built here with integer
// operations: correctly rounded (ties to even), subnormal inputs and results included.

const F32_QNAN: u32 = 0x7fc00000u;
const F32_INF: u32 = 0x7f800000u;

// A finite nonzero magnitude (f32 bits without the sign) as m · 2^(e - 23) with 2^23 ≤ m < 2^24.
struct F32Parts {
  e: i32,
  m: u32,
}

fn f32_parts(mag: u32) -> F32Parts {
  let field = mag >> 23u;
  if (field != 0u) {
    return F32Parts(i32(field) - 127, (mag & 0x7fffffu) | 0x800000u);
  }
  // Subnormal: the leading mantissa bit sets the exponent.
  let shift = 23u - firstLeadingBit(mag);
  return F32Parts(-126 - i32(shift), mag << shift);
}

// (m + s) / 2^shift rounded to nearest, ties to even, where s in [0, 1) stands for lower bits that
// were dropped before (nonzero iff `sticky`).
fn rne_shr(m: u32, shift: u32, sticky: bool) -> u32 {
  if (shift == 0u) {
    return m;
  }
  if (shift > 32u) {
    return 0u; // below half of one unit
  }
  if (shift == 32u) {
    return select(0u, 1u, m > 0x80000000u || (m == 0x80000000u && sticky));
  }
  let q = m >> shift;
  let rest = m & ((1u << shift) - 1u);
  let half = 1u << (shift - 1u);
  let up = rest > half || (rest == half && (sticky || (q & 1u) == 1u));
  return q + select(0u, 1u, up);
}

// The f32 bits nearest to ±(m + s) · 2^(e - 31) (m ≥ 2^31, s as in rne_shr): normal, subnormal,
// zero or infinity. `sign` is 0 or 0x80000000.
fn f32_round_pack(sign: u32, e: i32, m: u32, sticky: bool) -> u32 {
  if (e > 127) {
    return sign | F32_INF;
  }
  if (e >= -126) {
    // q in [2^23, 2^24]: its leading bit adds one to the exponent field, and a carry out of the
    // mantissa moves to the next binade (up to infinity) by itself.
    let q = rne_shr(m, 8u, sticky);
    return sign | ((u32(e + 126) << 23u) + q);
  }
  // Subnormal result: count units of 2^-149 (a carry to 2^23 is the smallest normal, as it should).
  return sign | rne_shr(m, u32(-118 - e), sticky);
}

// fround(a · b) of two f32 given as bits, exactly as IEEE float32 multiplication.
fn f32_mul_bits(a: u32, b: u32) -> u32 {
  let sign = (a ^ b) & 0x80000000u;
  let ma = a & 0x7fffffffu;
  let mb = b & 0x7fffffffu;
  if (ma > F32_INF || mb > F32_INF) {
    return F32_QNAN;
  }
  if (ma == F32_INF || mb == F32_INF) {
    return select(sign | F32_INF, F32_QNAN, ma == 0u || mb == 0u);
  }
  if (ma == 0u || mb == 0u) {
    return sign;
  }
  let fa = ma >> 23u;
  let fb = mb >> 23u;
  if (fa != 0u && fb != 0u && i32(fa + fb) - 254 >= -125) {
    // Normal operands and a product ≥ 2^-125: the hardware multiply is correctly rounded there.
    return bitcast<u32>(bitcast<f32>(a) * bitcast<f32>(b));
  }
  let pa = f32_parts(ma);
  let pb = f32_parts(mb);
  // The 48-bit product of the 24-bit significands, from 16-bit limbs: hi · 2^32 + lo.
  let al = pa.m & 0xffffu;
  let ah = pa.m >> 16u;
  let bl = pb.m & 0xffffu;
  let bh = pb.m >> 16u;
  let ll = al * bl;
  let mid = ah * bl + al * bh; // < 2^25
  let lo = ll + (mid << 16u);
  let hi = ah * bh + (mid >> 16u) + select(0u, 1u, lo < ll);
  // The product is P · 2^(pa.e + pb.e - 46) with 2^46 ≤ P < 2^48.
  if ((hi & 0x8000u) != 0u) {
    return f32_round_pack(sign, pa.e + pb.e + 1, (hi << 16u) | (lo >> 16u), (lo & 0xffffu) != 0u);
  }
  return f32_round_pack(sign, pa.e + pb.e, (hi << 17u) | (lo >> 15u), (lo & 0x7fffu) != 0u);
}

// fround(a / b) of two f32 given as bits, exactly as IEEE float32 division (WGSL's `/` is not
// correctly rounded).
fn f32_div_bits(a: u32, b: u32) -> u32 {
  let sign = (a ^ b) & 0x80000000u;
  let ma = a & 0x7fffffffu;
  let mb = b & 0x7fffffffu;
  if (ma > F32_INF || mb > F32_INF || (ma == mb && (ma == 0u || ma == F32_INF))) {
    return F32_QNAN;
  }
  if (ma == F32_INF || mb == 0u) {
    return sign | F32_INF;
  }
  if (ma == 0u || mb == F32_INF) {
    return sign;
  }
  let pa = f32_parts(ma);
  let pb = f32_parts(mb);
  var r = pa.m;
  var e = pa.e - pb.e;
  if (r < pb.m) {
    r = r << 1u;
    e -= 1;
  }
  // Now 1 ≤ r / pb.m < 2: long division gives 32 quotient bits, the first one the integer bit.
  var q = 0u;
  for (var i = 0u; i < 32u; i++) {
    q = q << 1u;
    if (r >= pb.m) {
      r -= pb.m;
      q |= 1u;
    }
    r = r << 1u;
  }
  return f32_round_pack(sign, e, q, r != 0u);
}

// The largest power of two ≤ a positive finite f32 (bits), subnormals included.
fn f32_pow2_floor(bits: u32) -> u32 {
  if ((bits >> 23u) != 0u) {
    return bits & 0xff800000u;
  }
  return 1u << firstLeadingBit(bits);
}

// The per-tensor scale of @fp8lm/scaling's computeScale from f32 bits: fround(fpmax / amax) with
// `fpmax` already fround(fpMax · 2^-margin), +inf clamped to FLT_MAX and anything below 2^-127 raised
// to 2^-127, optionally rounded down to a power of two. 0 when amax is zero, negative zero, or not
// finite (the caller keeps the previous scale).
fn scale_from_amax_bits(fpmax: u32, amax: u32, pow2: bool) -> u32 {
  if ((amax & 0x7fffffffu) == 0u || (amax & 0x7fffffffu) >= F32_INF) {
    return 0u;
  }
  var s = f32_div_bits(fpmax, amax);
  if (s == F32_INF) {
    s = 0x7f7fffffu;
  }
  // Negative quotients (a negative amax) and +0 compare below 2^-127 too.
  if (s < 0x00400000u || (s >> 31u) == 1u) {
    return 0x00400000u;
  }
  return select(s, f32_pow2_floor(s), pow2);
}

// atomicMax of `v` into `slot`, skipping the atomic when the slot already holds as much: with many
// threads raising one slot, most of them only load.
fn raise_max(slot: ptr<storage, atomic<u32>, read_write>, v: u32) {
  if (v > atomicLoad(slot)) {
    atomicMax(slot, v);
  }
}
