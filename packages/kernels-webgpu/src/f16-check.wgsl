// The f16 decoders of decode-f16.wgsl on every input they can see: all 2^16 binary16 patterns
// (halves_f32 on words 2i | (2i + 1) << 16) and all 256 FP8 codes of each format (four per word).
// Output: 65536 + 256 + 256 f32 bit patterns, compared with fp8-format on the host.
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 64u);
  if (i < 32768u) {
    let v = halves_f32((2u * i) | ((2u * i + 1u) << 16u));
    out[2u * i] = bitcast<u32>(v.x);
    out[2u * i + 1u] = bitcast<u32>(v.y);
  } else if (i < 32768u + 64u) {
    let q = i - 32768u;
    let w = (4u * q) | ((4u * q + 1u) << 8u) | ((4u * q + 2u) << 16u) | ((4u * q + 3u) << 24u);
    let e4 = bitcast<vec4<u32>>(decode4_e4m3(w));
    let e5 = bitcast<vec4<u32>>(decode4_e5m2(w));
    for (var j = 0u; j < 4u; j++) {
      out[65536u + 4u * q + j] = e4[j];
      out[65536u + 256u + 4u * q + j] = e5[j];
    }
  }
}
