// dequantize: dst[i] = fround(decode(src[i]) · scaleInv); with ACCUMULATE (accumulateChunk, the f32
// accumulation of a received all-reduce chunk) dst[i] = fround(dst[i] + fround(decode(src[i]) · scaleInv)).
// One thread per element (each owns its f32 word of dst). Values travel as f32 bits and the product
// is exact-f32.wgsl's, so subnormal decodes (E8M0's 2^-127, BF16) and subnormal products survive GPUs
// that flush f32 subnormals; the accumulation is one correctly rounded f32 addition.
// Prepended: PER_WORD (elements per u32 word of src), ACCUMULATE, exact-f32.wgsl and decode_code_bits
// (the format's codec, or the identity for f32 elements, which only accumulateChunk takes).
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>; // f32 bits
@group(0) @binding(3) var<storage, read> scalars: array<u32>; // [scaleInv] as f32 bits

const WG: u32 = 256u;

// Element i of src as f32 bits.
fn element_bits(i: u32) -> u32 {
  if (PER_WORD == 1u) {
    return src[i];
  }
  if (PER_WORD == 2u) {
    return decode_code_bits(half_of(src[i / 2u], i));
  }
  return decode_code_bits(byte_of(src[i / 4u], i));
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, WG);
  if (i >= params.n) {
    return;
  }
  let product = f32_mul_bits(element_bits(i), scalars[0]);
  if (ACCUMULATE) {
    dst[i] = bitcast<u32>(bitcast<f32>(dst[i]) + bitcast<f32>(product));
  } else {
    dst[i] = product;
  }
}
