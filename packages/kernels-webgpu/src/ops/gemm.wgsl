// gemm: C = alpha · op(A) · op(B) + beta · C + bias with f32 accumulation, one TILE×TILE tile of C
// per workgroup of TV×TV threads (TV = TILE / 4), 4×4 outputs per thread, K in steps of 32 through
// workgroup memory. TILE is 64 (16×16 threads), or 32 (8×8) for grids too small to fill the device.
//
// gemm.ts assembles the shader from the sections below (each starts with a `//#section NAME` line),
// after the constants and bindings it generates. The `opx` sections are written once for an operand
// and instantiated for A and for B with `opx`/`OPX` renamed to `a`/`A` and `b`/`B`, since the two
// operands may differ in dtype, layout and block scales. gemm.ts also defines per operand the
// decoders of one code (opx_decode) and of a whole word (opx_decode_quad, opx_decode_pair): integer
// ones here, or decode-f16.wgsl's with shader-f16.

//#section decode
// Decoders of the input dtypes: exact, built from bits, never producing an f32 subnormal from a
// normal code (GPUs may flush those) and never needing one for a subnormal code.

fn decode_f32(w: u32) -> f32 {
  return bitcast<f32>(w);
}

// BF16 is the top half of an f32.
fn decode_bf16(h: u32) -> f32 {
  return bitcast<f32>(h << 16u);
}

// IEEE binary16: rebias the exponent (15 → 127), widen the mantissa (10 → 23 bits).
fn decode_f16(h: u32) -> f32 {
  let sign = (h & 0x8000u) << 16u;
  let mag = h & 0x7fffu;
  var bits = (mag << 13u) + (112u << 23u);
  // Subnormal: m · 2^-24, a normal f32.
  bits = select(bits, bitcast<u32>(f32(mag) * 0x1p-24f), mag < 0x0400u);
  // All-ones exponent: infinity or NaN.
  bits = select(bits, select(0x7fc00000u, 0x7f800000u, mag == 0x7c00u), mag >= 0x7c00u);
  return bitcast<f32>(sign | bits);
}

// E5M2 codes are the top byte of the binary16 with the same value.
fn decode_e5m2(q: u32) -> f32 {
  return decode_f16(q << 8u);
}

// E4M3 (OCP FN): bias 7, no infinities, only S.1111.111 is NaN.
fn decode_e4m3(q: u32) -> f32 {
  let sign = (q & 0x80u) << 24u;
  let mag = q & 0x7fu;
  var bits = (mag << 20u) + (120u << 23u);
  bits = select(bits, bitcast<u32>(f32(mag) * 0x1p-9f), mag < 0x08u);
  bits = select(bits, 0x7fc00000u, mag == 0x7fu);
  return bitcast<f32>(sign | bits);
}

// E8M0 block scales: 2^(q - 127); 0 is 2^-127 (an f32 subnormal), 0xFF is NaN.
fn decode_e8m0(q: u32) -> f32 {
  var bits = select(q << 23u, 0x00400000u, q == 0u);
  bits = select(bits, 0x7fc00000u, q == 0xffu);
  return bitcast<f32>(bits);
}

//#section operand
// op(X)'s k-tile [k0, k0 + 32) × outer range [o0, o0 + TILE) (outer is M for A, N for B), k-major:
// element (k, o) is opx_tile[k * TV + o / 4][o % 4], so the product loop reads whole vec4s.
var<workgroup> opx_tile: array<vec4<f32>, 8u * TILE>;

// The code of stored element e (row-major index) of X.
fn opx_code(e: u32) -> u32 {
  if (OPX_BYTES == 4u) {
    return opx_word(e);
  }
  if (OPX_BYTES == 2u) {
    return half_of(opx_word(e >> 1u), e);
  }
  return byte_of(opx_word(e >> 2u), e);
}

// Stored element (r, c + j) of X (row r known to exist, e its index at column c), 0 past the row end.
fn opx_elem(e: u32, c: u32, j: u32) -> f32 {
  if (c + j >= params.opx_cols) {
    return 0.0;
  }
  return opx_decode(opx_code(e + j));
}

// Block scale of stored element (r, c), 1 past the row end (where the element is 0 anyway).
fn opx_scale_at(r: u32, c: u32) -> f32 {
  if (c >= params.opx_cols) {
    return 1.0;
  }
  return opx_block_scale(r, c);
}

// Stored elements (r, c .. c + 3) of X, decoded and times their block scales; 0 outside X (so the
// padding of a partial tile adds nothing). Components are never indexed dynamically: that would put
// the vector in memory on some compilers.
fn opx_fetch4(r: u32, c: u32) -> vec4<f32> {
  let cols = params.opx_cols;
  if (r >= params.opx_rows || c >= cols) {
    return vec4<f32>(0.0);
  }
  let e = r * cols + c;
  let whole = c + 3u < cols;
  var v: vec4<f32>;
  if (OPX_BYTES == 4u && whole && (e & 3u) == 0u) {
    // f32 at a 16-byte boundary: one vec4 load where X is bound as vec4s.
    v = bitcast<vec4<f32>>(opx_quad(e >> 2u));
  } else if (OPX_BYTES == 1u && whole && (e & 3u) == 0u) {
    // Four codes in one word: one load.
    v = opx_decode_quad(opx_word(e >> 2u));
  } else if (OPX_BYTES == 2u && whole && (e & 1u) == 0u) {
    v = vec4<f32>(opx_decode_pair(opx_word(e >> 1u)), opx_decode_pair(opx_word((e >> 1u) + 1u)));
  } else {
    // Row end, or a word shared with the previous row: element by element.
    v = vec4<f32>(opx_elem(e, c, 0u), opx_elem(e, c, 1u), opx_elem(e, c, 2u), opx_elem(e, c, 3u));
  }
  if (OPX_BLOCKS) {
    v *= vec4<f32>(opx_scale_at(r, c), opx_scale_at(r, c + 1u), opx_scale_at(r, c + 2u), opx_scale_at(r, c + 3u));
  }
  return v;
}

// Loads one k-tile of op(X) into opx_tile: 2·TV threads (u = 0 .. 2·TV - 1) each fetch a 4×4 block of
// X's stored layout, 4 stored rows of 4 contiguous elements, and write it as 4 whole vec4s (a thread
// never writes part of a vec4 another thread writes).
fn opx_load_tile(u: u32, o0: u32, k0: u32) {
  if (OPX_K_CONTIGUOUS) {
    // X stored [outer, K]: 8 threads per 4 rows cover 32 k; the block is transposed in registers.
    let o = (u >> 3u) * 4u;
    let k = (u & 7u) * 4u;
    let x0 = opx_fetch4(o0 + o, k0 + k);
    let x1 = opx_fetch4(o0 + o + 1u, k0 + k);
    let x2 = opx_fetch4(o0 + o + 2u, k0 + k);
    let x3 = opx_fetch4(o0 + o + 3u, k0 + k);
    let i = k * TV + (o >> 2u);
    opx_tile[i] = vec4<f32>(x0.x, x1.x, x2.x, x3.x);
    opx_tile[i + TV] = vec4<f32>(x0.y, x1.y, x2.y, x3.y);
    opx_tile[i + 2u * TV] = vec4<f32>(x0.z, x1.z, x2.z, x3.z);
    opx_tile[i + 3u * TV] = vec4<f32>(x0.w, x1.w, x2.w, x3.w);
  } else {
    // X stored [K, outer]: TV threads per 4 k cover TILE outer indices, one vec4 per stored row.
    let k = (u / TV) * 4u;
    let q = u % TV;
    let i = k * TV + q;
    opx_tile[i] = opx_fetch4(k0 + k, o0 + q * 4u);
    opx_tile[i + TV] = opx_fetch4(k0 + k + 1u, o0 + q * 4u);
    opx_tile[i + 2u * TV] = opx_fetch4(k0 + k + 2u, o0 + q * 4u);
    opx_tile[i + 3u * TV] = opx_fetch4(k0 + k + 3u, o0 + q * 4u);
  }
}

//#section blocks
// Block scale of stored element (r, c): an f32 grid, or E8M0 codes four per word.
fn opx_block_scale(r: u32, c: u32) -> f32 {
  let i = (r / params.opx_block_rows) * params.opx_grid_cols + c / params.opx_block_cols;
  if (OPX_BLOCKS_E8M0) {
    return decode_e8m0(byte_of(opx_blocks[i >> 2u], i));
  }
  return bitcast<f32>(opx_blocks[i]);
}

//#section no_blocks
fn opx_block_scale(r: u32, c: u32) -> f32 {
  return 1.0;
}

//#section amax
// Amax of the f32 result. One atomic per thread that wrote a non-zero value: a workgroup-level max
// first would need workgroup memory beyond the 16 KiB the tiles already take (WebGPU's default limit).
fn amax_finish(bits: u32) {
  if (bits != 0u) {
    atomicMax(&amax_out[params.amax_index], bits);
  }
}

//#section no_amax
fn amax_finish(bits: u32) {}

//#section bias
fn bias_at(c: u32) -> f32 {
  return bias[c];
}

//#section no_bias
fn bias_at(c: u32) -> f32 {
  return 0.0;
}

//#section main
// Writes C[r, c] from the accumulated sum (row r known to exist); returns abs_bits of the value, or 0
// past the row end.
fn store_one(r: u32, c: u32, sum: f32) -> u32 {
  if (c >= params.n) {
    return 0u;
  }
  let i = r * params.n + c;
  // Per-tensor scales factor out of the sum over K (applied one by one, so no intermediate product
  // of scales can overflow or underflow where the result would not).
  var v = ((sum * scalars[0]) * scalars[1]) * params.alpha;
  // beta = 0 never reads C: a NaN left there must not propagate.
  if (params.beta != 0.0) {
    v += params.beta * c_buf[i];
  }
  if (HAS_BIAS) {
    v += bias_at(c);
  }
  c_buf[i] = v;
  return abs_bits(v);
}

// Writes row r, columns c .. c + 3 of C; returns the largest abs_bits written.
fn store_row(r: u32, c: u32, acc: vec4<f32>) -> u32 {
  if (r >= params.m) {
    return 0u;
  }
  let b01 = max(store_one(r, c, acc.x), store_one(r, c + 1u, acc.y));
  let b23 = max(store_one(r, c + 2u, acc.z), store_one(r, c + 3u, acc.w));
  return max(b01, b23);
}

@compute @workgroup_size(TV, TV)
fn main(
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  // Row tiles run along y, folded into z past the per-dimension workgroup limit.
  let m0 = (wid.y + wid.z * nwg.y) * TILE;
  let n0 = wid.x * TILE;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < params.k; k0 += 32u) {
    if (TILE == 64u) {
      // Threads 0..127 load A's tile, 128..255 B's (whole subgroups either way).
      if (t < 128u) {
        a_load_tile(t, m0, k0);
      } else {
        b_load_tile(t - 128u, n0, k0);
      }
    } else {
      // 64 threads: each loads its part of both.
      a_load_tile(t, m0, k0);
      b_load_tile(t, n0, k0);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 32u; kk++) {
      // Rows 4·lid.y .. +3 of op(A) times columns 4·lid.x .. +3 of op(B): an outer product.
      let av = a_tile[kk * TV + lid.y];
      let bv = b_tile[kk * TV + lid.x];
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    workgroupBarrier();
  }
  let r = m0 + lid.y * 4u;
  let c = n0 + lid.x * 4u;
  let b01 = max(store_row(r, c, acc0), store_row(r + 1u, c, acc1));
  let b23 = max(store_row(r + 2u, c, acc2), store_row(r + 3u, c, acc3));
  amax_finish(max(b01, b23));
}
