// sumSquares: out[index] = Σ (decode(x_i) · scaleInv)², accumulated in f32 in two dispatches.
// Phase 0: each workgroup sums a grid-stride share of x's words (compensated per thread, then a tree
// in workgroup memory) into partials[workgroup]. Phase 1: one workgroup sums the partials into
// out[index]. NaN and inf propagate through the sums. Prepended: PER_WORD (elements per u32 word of
// x), exact-f32.wgsl and decode_code_bits (the format's codec, or the identity for f32).
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> scalars: array<f32>; // [scaleInv]
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const WG: u32 = 256u;

var<workgroup> sums: array<f32, WG>;

// Neumaier's compensated sum: (s, c) holds s + c.
fn kahan_add(acc: vec2f, v: f32) -> vec2f {
  let t = acc.x + v;
  var c = acc.y;
  if (abs(acc.x) >= abs(v)) {
    c += (acc.x - t) + v;
  } else {
    c += (v - t) + acc.x;
  }
  return vec2f(t, c);
}

// s + c, or s itself once it is inf or NaN (the compensation is NaN then).
fn kahan_total(acc: vec2f) -> f32 {
  let finite = (bitcast<u32>(acc.x) & 0x7f800000u) != 0x7f800000u;
  return select(acc.x, acc.x + acc.y, finite);
}

fn square_of(i: u32, code: u32) -> f32 {
  if (i >= params.n) {
    return 0.0; // padding codes of the tail word
  }
  let v = bitcast<f32>(decode_code_bits(code)) * scalars[0];
  return v * v;
}

// Tree sum of sums[] over the workgroup; the total ends in sums[0].
fn workgroup_total(t: u32, v: f32) -> f32 {
  sums[t] = v;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (t < half) {
      sums[t] = sums[t] + sums[t + half];
    }
    workgroupBarrier();
  }
  return sums[0];
}

@compute @workgroup_size(WG)
fn main(
  @builtin(local_invocation_index) t: u32,
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
) {
  var acc = vec2f(0.0);
  if (params.phase == 0u) {
    let stride = nwg.x * WG;
    for (var w = wid.x * WG + t; w < params.words; w += stride) {
      let word = x[w];
      if (PER_WORD == 1u) {
        acc = kahan_add(acc, square_of(w, word));
      } else if (PER_WORD == 2u) {
        acc = kahan_add(acc, square_of(2u * w, word & 0xffffu));
        acc = kahan_add(acc, square_of(2u * w + 1u, word >> 16u));
      } else {
        for (var j = 0u; j < 4u; j++) {
          acc = kahan_add(acc, square_of(4u * w + j, byte_of(word, j)));
        }
      }
    }
  } else {
    for (var k = t; k < params.partial_count; k += WG) {
      acc = kahan_add(acc, partials[k]);
    }
  }
  let total = workgroup_total(t, kahan_total(acc));
  if (t == 0u) {
    if (params.phase == 0u) {
      partials[wid.x] = total;
    } else {
      out[params.index] = total;
    }
  }
}
