// dequantize: dst[i] = fround(decode(src[i]) · scaleInv), one thread per element (each writes its own
// f32 word). Values travel as f32 bits and the product is exact-f32.wgsl's, so subnormal decodes
// (E8M0's 2^-127, BF16) and subnormal products survive GPUs that flush f32 subnormals.
// Prepended: PER_WORD (codes per u32 word of src), exact-f32.wgsl and the format's codec.
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>; // f32 bits
@group(0) @binding(3) var<storage, read> scalars: array<u32>; // [scaleInv] as f32 bits

const WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, WG);
  if (i >= params.n) {
    return;
  }
  var code: u32;
  if (PER_WORD == 4u) {
    code = byte_of(src[i / 4u], i);
  } else {
    code = half_of(src[i / 2u], i);
  }
  dst[i] = f32_mul_bits(decode_code_bits(code), scalars[0]);
}
