// Loads and stores of AdamW state and the double-f32 arithmetic of its update, shared by
// adamw-stats.wgsl and adamw-apply.wgsl. One shader mixes several dtypes, so instead of codec.wgsl
// (one format per shader) each dtype has its own small decoder/encoder, selected by these codes
// (DT_* consts, prepended per tensor by adamw.ts as MASTER_T, GRAD_T, M_T, V_T):
const DT_F32: u32 = 0u;
const DT_F16: u32 = 1u;
const DT_BF16: u32 = 2u;
const DT_E4M3: u32 = 3u;
const DT_E5M2: u32 = 4u;

// A quiet NaN built at run time (a NaN constant expression is a shader-creation error).
fn qnan(salt: u32) -> f32 {
  return bitcast<f32>(0x7fc00000u | (salt & 0x3fffffu));
}

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}

// ---- Decoders: exact, from the code bits ----

fn decode_f16(h: u32) -> f32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 31u) {
    if (m != 0u) {
      return qnan(m);
    }
    return bitcast<f32>(sign | 0x7f800000u);
  }
  if (e == 0u) {
    let v = f32(m) * pow2i(-24); // a normal f32: the product is exact
    return select(v, -v, sign != 0u);
  }
  return bitcast<f32>(sign | ((e + 112u) << 23u) | (m << 13u));
}

fn decode_bf16(h: u32) -> f32 {
  return bitcast<f32>(h << 16u);
}

fn decode_e4m3(b: u32) -> f32 {
  let mag = b & 0x7fu;
  if (mag == 0x7fu) {
    return qnan(b);
  }
  let e = mag >> 3u;
  let m = mag & 7u;
  var v: f32;
  if (e == 0u) {
    v = f32(m) * pow2i(-9);
  } else {
    v = bitcast<f32>(((e + 120u) << 23u) | (m << 20u));
  }
  return select(v, -v, (b & 0x80u) != 0u);
}

// E5M2 is the top byte of an FP16.
fn decode_e5m2(b: u32) -> f32 {
  return decode_f16((b & 0xffu) << 8u);
}

fn decode_as(t: u32, bits: u32) -> f32 {
  switch (t) {
    case 1u: { return decode_f16(bits); }
    case 2u: { return decode_bf16(bits); }
    case 3u: { return decode_e4m3(bits); }
    case 4u: { return decode_e5m2(bits); }
    default: { return bitcast<f32>(bits); }
  }
}

// ---- Encoders: saturating, round to nearest even, on the f32 bits (subnormal inputs included) ----

// h rounded up by one where the dropped bits `rest` exceed `half`, or equal it with h odd (ties to even).
fn round_even(h: u32, rest: u32, half: u32) -> u32 {
  return h + select(0u, 1u, rest > half || (rest == half && (h & 1u) == 1u));
}

// The subnormal code of the f32 magnitude bits u: its significand (hidden bit set) shifted right by
// `shift` (1..31), rounded to nearest even.
fn subnormal_code(u: u32, shift: u32) -> u32 {
  let mant = (u & 0x7fffffu) | 0x800000u;
  return round_even(mant >> shift, mant & ((1u << shift) - 1u), 1u << (shift - 1u));
}

fn encode_f16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let sign = (b >> 16u) & 0x8000u;
  let u = b & 0x7fffffffu;
  if (u > 0x7f800000u) {
    return 0x7fffu;
  }
  if (u >= 0x477ff000u) {
    return sign | 0x7bffu; // ≥ 65520 rounds past 65504, ±inf too: the largest finite
  }
  if (u >= 0x38800000u) {
    return sign | round_even((u - 0x38000000u) >> 13u, u & 0x1fffu, 0x1000u);
  }
  if (u <= 0x33000000u) {
    return sign; // at most half the smallest subnormal: the even zero
  }
  // Subnormal: mant · 2^(e - 150) in units of 2^-24.
  return sign | subnormal_code(u, 126u - (u >> 23u));
}

fn encode_bf16(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  if ((b & 0x7fffffffu) > 0x7f800000u) {
    return 0x7fffu;
  }
  let h = (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
  if ((h & 0x7fffu) == 0x7f80u) {
    return (h & 0x8000u) | 0x7f7fu; // saturate instead of ±inf
  }
  return h;
}

fn encode_e4m3(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  let sign = (b >> 24u) & 0x80u;
  let u = b & 0x7fffffffu;
  if (u > 0x7f800000u) {
    return 0x7fu;
  }
  if (u >= 0x43e00000u) {
    return sign | 0x7eu; // ≥ 448 (±inf too) saturates: 448..464 round to 448, the rest overflow
  }
  if (u >= 0x3c800000u) {
    // Normal (≥ 2^-6): rebias the exponent, keep 3 mantissa bits, round on the 20 dropped ones.
    return sign | round_even((u >> 20u) - (120u << 3u), u & 0xfffffu, 0x80000u);
  }
  if (u <= 0x3a800000u) {
    return sign; // at most 2^-10, half the smallest subnormal: the even zero
  }
  // Subnormal: mant · 2^(e - 150) in units of 2^-9.
  return sign | subnormal_code(u, 141u - (u >> 23u));
}

fn encode_as(t: u32, x: f32) -> u32 {
  switch (t) {
    case 1u: { return encode_f16(x); }
    case 2u: { return encode_bf16(x); }
    case 3u: { return encode_e4m3(x); }
    default: { return bitcast<u32>(x); }
  }
}

// ---- Packing: a thread owns elements 4q..4q+3, i.e. whole words of every tensor ----

// Words holding 4 elements: 4 for f32, 2 for halves, 1 for bytes.
fn words_per4(t: u32) -> u32 {
  if (t == DT_F32) {
    return 4u;
  }
  return select(1u, 2u, t == DT_F16 || t == DT_BF16);
}

// Whether word j of the 4 elements from e0 holds an element below n (the tail word of a tensor may
// be partial; the words after it do not exist).
fn word_exists(t: u32, e0: u32, j: u32, n: u32) -> bool {
  return j < words_per4(t) && e0 + j * (4u / words_per4(t)) < n;
}

fn unpack4(t: u32, w: vec4u) -> vec4f {
  if (t == DT_F32) {
    return bitcast<vec4f>(w);
  }
  if (t == DT_F16 || t == DT_BF16) {
    return vec4f(
      decode_as(t, half_of(w.x, 0u)),
      decode_as(t, half_of(w.x, 1u)),
      decode_as(t, half_of(w.y, 0u)),
      decode_as(t, half_of(w.y, 1u)),
    );
  }
  return vec4f(
    decode_as(t, byte_of(w.x, 0u)),
    decode_as(t, byte_of(w.x, 1u)),
    decode_as(t, byte_of(w.x, 2u)),
    decode_as(t, byte_of(w.x, 3u)),
  );
}

fn pack4(t: u32, x: vec4f) -> vec4u {
  if (t == DT_F32) {
    return bitcast<vec4u>(x);
  }
  if (t == DT_F16 || t == DT_BF16) {
    return vec4u(
      encode_as(t, x.x) | (encode_as(t, x.y) << 16u),
      encode_as(t, x.z) | (encode_as(t, x.w) << 16u),
      0u,
      0u,
    );
  }
  return vec4u(
    encode_as(t, x.x) | (encode_as(t, x.y) << 8u) | (encode_as(t, x.z) << 16u) | (encode_as(t, x.w) << 24u),
    0u,
    0u,
    0u,
  );
}

// ---- Double-f32 arithmetic: a value is hi + lo (vec2f) with |lo| ≤ ulp(hi)/2 ----
// The update cancels (m near 0, the new master near 0), and the f32 results must be the f64 update
// correctly rounded to f32, like the CPU op: plain f32 misses that by many ulps where terms cancel.
// Products are split by masking bits (no Veltkamp constant), so a compiler that contracts a*b + c
// into an fma still gets the same exact terms.

// x, through a multiply by the uniform 1.0 the compiler cannot see. Shader compilers treat float
// math as reassociable (WGSL has no `precise`): Mesa's NIR, for one, rewrites (a + b) - a to b, which
// zeroes the error terms below (seen on lavapipe: m off by ~160 ulp). A fenced value is an opaque
// product, so those rewrites find no pattern; the multiply by 1 is exact.
fn fence(x: f32) -> f32 {
  return x * params.one;
}

fn two_sum(a: f32, b: f32) -> vec2f {
  let s = fence(a + b);
  let bb = fence(s - a);
  return vec2f(s, (a - fence(s - bb)) + (b - bb));
}

fn quick_two_sum(a: f32, b: f32) -> vec2f {
  let s = fence(a + b);
  return vec2f(s, b - fence(s - a));
}

// The high 12 significant bits of a (the low 12 of 24 cleared); a - hi12(a) is exact.
fn hi12(a: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(a) & 0xfffff000u);
}

fn two_prod(a: f32, b: f32) -> vec2f {
  let p = fence(a * b);
  let ah = hi12(a);
  let al = a - ah;
  let bh = hi12(b);
  let bl = b - bh;
  return vec2f(p, (((ah * bh - p) + ah * bl) + al * bh) + al * bl);
}

fn df_add(x: vec2f, y: vec2f) -> vec2f {
  let s = two_sum(x.x, y.x);
  let t = two_sum(x.y, y.y);
  let u = quick_two_sum(s.x, s.y + t.x);
  return quick_two_sum(u.x, u.y + t.y);
}

fn df_mul(x: vec2f, y: vec2f) -> vec2f {
  let p = two_prod(x.x, y.x);
  return quick_two_sum(p.x, p.y + (x.x * y.y + x.y * y.x));
}

// x / y: an f32 quotient (WGSL division is not correctly rounded) refined by two exact remainders.
fn df_div(x: vec2f, y: vec2f) -> vec2f {
  let q1 = x.x / y.x;
  var r = df_add(x, -df_mul(vec2f(q1, 0.0), y));
  let q2 = r.x / y.x;
  r = df_add(r, -df_mul(vec2f(q2, 0.0), y));
  let q3 = r.x / y.x;
  return df_add(quick_two_sum(q1, q2), vec2f(q3, 0.0));
}

// sqrt(x) for x ≥ 0: an f32 root refined by one Newton step on the exact remainder.
fn df_sqrt(x: vec2f) -> vec2f {
  if (x.x <= 0.0) {
    return vec2f(sqrt(max(x.x, 0.0)), 0.0);
  }
  let s = sqrt(x.x);
  let r = df_add(x, -two_prod(s, s));
  return quick_two_sum(s, r.x / (2.0 * s));
}

fn df_round(x: vec2f) -> f32 {
  return x.x + x.y;
}

// ---- The update of one element, as kernels-cpu computes it in f64 ----

struct Moments {
  p: f32,
  m: f32,
  v: f32,
}

fn hyper(hi: f32, lo: f32) -> vec2f {
  return vec2f(hi, lo);
}

// New master, m and v from the decoded (and scaled) old ones: double-f32, rounded once to f32.
// Where the plain f32 evaluation is not finite (NaN/inf inputs, 0/0), its IEEE specials are the answer
// (the double-f32 terms would turn an inf into NaN).
fn adamw_element(p0: f32, g0: f32, m0: f32, v0: f32) -> Moments {
  let decoupled = params.decoupled != 0u;
  let lr = hyper(params.lr_hi, params.lr_lo);
  let wd = hyper(params.wd_hi, params.wd_lo);
  // Plain f32, for the specials.
  var gf = g0 * params.mul_hi;
  if (!decoupled) {
    gf += params.wd_hi * p0;
  }
  let mf = params.b1_hi * m0 + params.omb1_hi * gf;
  let vf = params.b2_hi * v0 + params.omb2_hi * gf * gf;
  let uf = mf / params.c1_hi / (sqrt(vf / params.c2_hi) + params.eps_hi);
  let pf = p0 - params.lr_hi * (uf + select(0.0, params.wd_hi * p0, decoupled));
  // Double-f32.
  let p = vec2f(p0, 0.0);
  var g = df_mul(vec2f(g0, 0.0), hyper(params.mul_hi, params.mul_lo));
  if (!decoupled) {
    g = df_add(g, df_mul(wd, p));
  }
  let m = df_add(
    df_mul(hyper(params.b1_hi, params.b1_lo), vec2f(m0, 0.0)),
    df_mul(hyper(params.omb1_hi, params.omb1_lo), g),
  );
  let v = df_add(
    df_mul(hyper(params.b2_hi, params.b2_lo), vec2f(v0, 0.0)),
    df_mul(hyper(params.omb2_hi, params.omb2_lo), df_mul(g, g)),
  );
  let mhat = df_div(m, hyper(params.c1_hi, params.c1_lo));
  let vhat = df_div(v, hyper(params.c2_hi, params.c2_lo));
  let u = df_div(mhat, df_add(df_sqrt(vhat), hyper(params.eps_hi, params.eps_lo)));
  var delta = u;
  if (decoupled) {
    delta = df_add(u, df_mul(wd, p));
  }
  let pn = df_add(p, -df_mul(lr, delta));
  var res = Moments(df_round(pn), df_round(m), df_round(v));
  if (!is_finite(pf) || !is_finite(res.p)) {
    res.p = pf;
  }
  if (!is_finite(mf) || !is_finite(res.m)) {
    res.m = mf;
  }
  if (!is_finite(vf) || !is_finite(res.v)) {
    res.v = vf;
  }
  return res;
}

// ---- Grouped v (COAT range expansion): v = groupMax · (decode(q) / maxFinite)^(1/k) ----

fn grouped_decode(q: f32, group_max: f32, k: f32) -> f32 {
  let y = q / E4M3_MAX;
  if (y == 0.0) {
    return 0.0;
  }
  return group_max * pow(y, 1.0 / k);
}

// The code value y^k · maxFinite of v in a group with this max and exponent (0 for an all-zero group).
fn grouped_encode_value(v: f32, group_max: f32, k: f32) -> f32 {
  if (!(group_max > 0.0) || v == 0.0) {
    return 0.0;
  }
  return pow(v / group_max, k) * E4M3_MAX;
}

// ---- Loads: the stage shaders declare master_buf, grad_buf, m_buf, v_buf (array<u32>), scalars
// (scale-inverses at 0..3) and group_max, group_exp (old per-group v scaling) ----

struct State4 {
  p: vec4f,
  g: vec4f,
  m: vec4f,
  v: vec4f,
}

// Index of the first word of the 4 elements from e0 (a multiple of 4).
fn first_word(t: u32, e0: u32) -> u32 {
  return (e0 / 4u) * words_per4(t);
}

// Word k of a state tensor's buffer. WGSL cannot pass a storage buffer to a function, so the
// buffer is picked by index; every call passes a literal, which the compiler folds.
fn state_word(tensor: u32, k: u32) -> u32 {
  switch (tensor) {
    case 0u: { return master_buf[k]; }
    case 1u: { return grad_buf[k]; }
    case 2u: { return m_buf[k]; }
    default: { return v_buf[k]; }
  }
}

// The words of state tensor `tensor` (0 master, 1 grad, 2 m, 3 v; dtype t) holding elements
// e0..e0+3; words past the tensor's end read as 0.
fn fetch4(tensor: u32, t: u32, e0: u32) -> vec4u {
  var w = vec4u(0u);
  for (var j = 0u; j < 4u; j++) {
    if (word_exists(t, e0, j, params.n)) {
      w[j] = state_word(tensor, first_word(t, e0) + j);
    }
  }
  return w;
}

// The decoded, scaled state of elements e0..e0+3; elements past n (padding codes) are 0.
fn load_state(e0: u32) -> State4 {
  var s = State4(
    unpack4(MASTER_T, fetch4(0u, MASTER_T, e0)) * scalars[0],
    unpack4(GRAD_T, fetch4(1u, GRAD_T, e0)) * scalars[1],
    unpack4(M_T, fetch4(2u, M_T, e0)) * scalars[2],
    unpack4(V_T, fetch4(3u, V_T, e0)),
  );
  for (var j = 0u; j < 4u; j++) {
    let e = e0 + j;
    if (e >= params.n) {
      s.p[j] = 0.0;
      s.g[j] = 0.0;
      s.m[j] = 0.0;
      s.v[j] = 0.0;
    } else if (GROUPED) {
      let g = e / params.group_size;
      s.v[j] = grouped_decode(s.v[j], group_max[g], group_exp[g]);
    } else {
      s.v[j] = s.v[j] * scalars[3];
    }
  }
  return s;
}
