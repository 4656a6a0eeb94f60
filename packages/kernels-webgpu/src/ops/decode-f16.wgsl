// Decoders of whole words through shader-f16 (the shader must `enable f16`): the hardware converts
// binary16 to f32, two halves per word, so a word of four FP8 codes is two conversions plus a few
// shifts, where the integer decoders take a dozen operations per code. Exact, subnormal halves
// included: the backend checks that on the device before it uses these (f16-check.ts).

// The two binary16 values of word w (low half first), as f32.
fn halves_f32(w: u32) -> vec2<f32> {
  return vec2<f32>(bitcast<vec2<f16>>(w));
}

// Four E5M2 codes (code i in byte i): each is the top byte of the binary16 with the same value.
fn decode4_e5m2(w: u32) -> vec4<f32> {
  let lo = ((w & 0xffu) << 8u) | ((w & 0xff00u) << 16u);
  let hi = ((w >> 8u) & 0xff00u) | (w & 0xff000000u);
  return vec4<f32>(halves_f32(lo), halves_f32(hi));
}

// Four E4M3 (OCP FN) codes. S.EEEE.MMM placed in a binary16 as S.0EEEE.MMM0000000 is the code's value
// times 2^-8, normal and subnormal codes alike (bias 15 against 7); times 256 is then exact in f32.
// S.1111.111 is NaN.
fn decode4_e4m3(w: u32) -> vec4<f32> {
  let lo = ((w & 0x7fu) << 7u) | ((w & 0x80u) << 8u) | ((w & 0x7f00u) << 15u) | ((w & 0x8000u) << 16u);
  let hi = ((w >> 9u) & 0x3f80u) | ((w >> 8u) & 0x8000u) | ((w >> 1u) & 0x3f800000u) | (w & 0x80000000u);
  let v = vec4<f32>(halves_f32(lo), halves_f32(hi)) * 256.0;
  let mags = (vec4<u32>(w, w >> 8u, w >> 16u, w >> 24u)) & vec4<u32>(0x7fu);
  // A NaN from bits at run time (a NaN constant expression is a shader-creation error).
  return bitcast<vec4<f32>>(select(bitcast<vec4<u32>>(v), vec4<u32>(0x7fc00000u), mags == vec4<u32>(0x7fu)));
}
