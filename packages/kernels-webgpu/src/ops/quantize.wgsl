// quantize: dst[i] = encode(fround(src[i] · scale)), one thread per output word (four 1-byte codes or
// two 16-bit codes, PER_WORD), with the source's amax fused in where the variant binds amax_out.
// Prepended: PER_WORD, exact-f32.wgsl, the format's codec, and the amax snippet (publish_amax).
@group(0) @binding(1) var<storage, read> src: array<u32>; // f32 bits: no float load of subnormals
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;
@group(0) @binding(3) var<storage, read> scalars: array<u32>; // [scale] as f32 bits

const WG: u32 = 256u;
const CODE_BITS: u32 = 32u / PER_WORD;

// fp8-format's counter-based RNG (stochastic.ts): u32 multiplies wrap like Math.imul.
fn mix32(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x85ebca6bu;
  h ^= h >> 13u;
  h *= 0xc2b2ae35u;
  h ^= h >> 16u;
  return h;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = flat_index(gid, nwg, WG);
  let scale = scalars[0];
  let stochastic = params.stochastic != 0u;
  let saturate = params.saturate != 0u;
  let key = mix32(params.seed ^ 0x5bd1e995u);
  var local_max = 0u;
  let first = w * PER_WORD;
  if (first < params.n) {
    var word = 0u;
    for (var j = 0u; j < PER_WORD; j++) {
      let i = first + j;
      if (i < params.n) {
        let x = src[i];
        local_max = max(local_max, x & 0x7fffffffu); // NaN bits order above +inf: any NaN wins
        var u24 = 0u;
        if (stochastic) {
          u24 = mix32(i * 0x9e3779b9u + key) >> 8u;
        }
        word |= encode_bits(f32_mul_bits(x, scale), saturate, stochastic, u24) << (j * CODE_BITS);
      }
    }
    dst[w] = word;
  }
  publish_amax(local_max);
}
