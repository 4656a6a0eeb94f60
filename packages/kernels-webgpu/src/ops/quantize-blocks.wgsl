// quantizeBlocks in two dispatches over the same bindings, selected by the prepended PHASE:
// 1. one workgroup per block: the block amax (workgroup atomicMax over |x| bits), its scale and
//    scale_inv. The multiplier goes to `blocks` (and, for MX, the E8M0 code), since a block's edge
//    need not fall on a word of the packed codes.
// 2. one thread per word of codes: dst = encode(fround(x · multiplier)), saturating, nearest even;
//    for MX also the packed E8M0 scale words.
// Prepended: PHASE, MX, POW2, FMT_EMAX (floor(log2 maxFinite)), FPMAX_BITS, exact-f32.wgsl, codec.
@group(0) @binding(1) var<storage, read> src: array<u32>; // f32 bits
@group(0) @binding(2) var<storage, read_write> dst: array<u32>; // e4m3/e5m2 codes, four per word
@group(0) @binding(3) var<storage, read_write> scale_inv: array<u32>; // f32 bits, or E8M0 codes
@group(0) @binding(4) var<storage, read_write> blocks: array<u32>; // per block: multiplier, E8M0 code

const WG: u32 = 128u;

var<workgroup> wg_amax: atomic<u32>;

fn block_scales(block: u32, lid: u32) {
  let valid = block < params.grid_rows * params.grid_cols;
  let bi = block / params.grid_cols;
  let bj = block % params.grid_cols;
  let r0 = bi * params.block_rows;
  let r1 = min(r0 + params.block_rows, params.rows);
  let c0 = bj * params.block_cols;
  let c1 = min(c0 + params.block_cols, params.cols);
  let width = c1 - c0;
  let count = select(0u, (r1 - r0) * width, valid);
  var m = 0u;
  for (var k = lid; k < count; k += WG) {
    m = max(m, src[(r0 + k / width) * params.cols + c0 + k % width] & 0x7fffffffu);
  }
  atomicMax(&wg_amax, m);
  workgroupBarrier();
  if (lid != 0u || !valid) {
    return;
  }
  let amax = atomicLoad(&wg_amax);
  if (MX) {
    if (amax >= 0x7f800000u) {
      blocks[2u * block] = 0u; // NaN scale: the block's codes are 0
      blocks[2u * block + 1u] = 0xffu;
      return;
    }
    // X = 2^e with e = floor(log2 amax) - emax in [-127, 127] (-127 for an all-zero block); the
    // codes take x · 2^-e, where 2^-127 is an f32 subnormal (exact-f32.wgsl multiplies it exactly).
    var e = -127;
    if (amax != 0u) {
      e = clamp(f32_parts(amax).e - FMT_EMAX, -127, 127);
    }
    blocks[2u * block] = select(u32(127 - e) << 23u, 0x00400000u, e == 127);
    blocks[2u * block + 1u] = u32(e + 127);
  } else {
    // scale = fpMax / amax as computeScale (1 for an all-zero or non-finite block).
    var s = scale_from_amax_bits(FPMAX_BITS, amax, POW2);
    if (s == 0u) {
      s = 0x3f800000u;
    }
    blocks[2u * block] = s;
    scale_inv[block] = f32_div_bits(0x3f800000u, s);
  }
}

fn block_codes(w: u32) {
  let n = params.rows * params.cols;
  if (4u * w < n) {
    var word = 0u;
    for (var j = 0u; j < 4u; j++) {
      let i = 4u * w + j;
      if (i < n) {
        let r = i / params.cols;
        let c = i % params.cols;
        let mul = blocks[2u * ((r / params.block_rows) * params.grid_cols + c / params.block_cols)];
        var code = 0u;
        if (mul != 0u) {
          code = encode_bits(f32_mul_bits(src[i], mul), true, false, 0u);
        }
        word |= code << (8u * j);
      }
    }
    dst[w] = word;
  }
  if (MX) {
    let nb = params.grid_rows * params.grid_cols;
    if (4u * w < nb) {
      var word = 0u;
      for (var j = 0u; j < 4u; j++) {
        if (4u * w + j < nb) {
          word |= blocks[2u * (4u * w + j) + 1u] << (8u * j);
        }
      }
      scale_inv[w] = word;
    }
  }
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  if (PHASE == 1u) {
    block_scales(wid.x + wid.y * nwg.x, lid);
  } else {
    block_codes(flat_index(gid, nwg, WG));
  }
}
