// accumulateChunk: acc[i] = fround(acc[i] + fround(decode(chunk[i]) · scaleInv)), one thread per
// element (each owns its f32 word of acc). The product is exact-f32.wgsl's, so subnormal decodes and
// products are kept where GPUs flush them, and the sum is one correctly rounded f32 addition.
// Prepended: PER_WORD (elements per u32 word of chunk), exact-f32.wgsl and decode_code_bits (the
// format's codec, or the identity for f32 chunks).
@group(0) @binding(1) var<storage, read> chunk: array<u32>;
@group(0) @binding(2) var<storage, read_write> acc: array<f32>;
@group(0) @binding(3) var<storage, read> scalars: array<u32>; // [scaleInv] as f32 bits

const WG: u32 = 256u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, WG);
  if (i >= params.n) {
    return;
  }
  var bits: u32;
  if (PER_WORD == 1u) {
    bits = chunk[i];
  } else if (PER_WORD == 2u) {
    bits = decode_code_bits(half_of(chunk[i / 2u], i));
  } else {
    bits = decode_code_bits(byte_of(chunk[i / 4u], i));
  }
  acc[i] = acc[i] + bitcast<f32>(f32_mul_bits(bits, scalars[0]));
}
