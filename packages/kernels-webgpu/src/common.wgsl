// Helpers prepended to every fp8lm shader (after the Params struct).

// The element index of a thread in a 1-D problem laid out over a 2-D grid of workgroups (a dispatch
// has at most 65535 workgroups per dimension): see `grid1d` in context.ts.
fn flat_index(gid: vec3u, nwg: vec3u, wg: u32) -> u32 {
  return gid.x + gid.y * nwg.x * wg;
}

// Byte i (0..3) of a 32-bit word: four codes of a byte tensor share one word, lowest byte first.
fn byte_of(word: u32, i: u32) -> u32 {
  return (word >> ((i & 3u) * 8u)) & 0xffu;
}

// Half i (0..1) of a 32-bit word: two f16/bf16 values share one word, lower half first.
fn half_of(word: u32, i: u32) -> u32 {
  return (word >> ((i & 1u) * 16u)) & 0xffffu;
}

// 2^k for an integer k in [-126, 127], built from its bits (exact, no exp2 rounding).
fn pow2i(k: i32) -> f32 {
  return bitcast<f32>(u32(k + 127) << 23u);
}

// |x| as the bits of a non-negative float: ordered like the values (NaNs above +inf), so an
// atomicMax over these bits is a max over |x| that lets any NaN win.
fn abs_bits(x: f32) -> u32 {
  return bitcast<u32>(x) & 0x7fffffffu;
}
