// computeScale: one thread. scale[0] = fround(fpmax / amax[index]) clamped to [2^-127, FLT_MAX] and
// scale_inv[0] = fround(1 / scale[0]), both exact (exact-f32.wgsl, prepended); a zero or non-finite
// amax leaves both as they were.
@group(0) @binding(1) var<storage, read> amax: array<u32>; // f32 bits
@group(0) @binding(2) var<storage, read_write> scale: array<u32>;
@group(0) @binding(3) var<storage, read_write> scale_inv: array<u32>;

@compute @workgroup_size(1)
fn main() {
  let s = scale_from_amax_bits(params.fpmax_bits, amax[params.index], false);
  if (s != 0u) {
    scale[0] = s;
    scale_inv[0] = f32_div_bits(0x3f800000u, s);
  }
}
