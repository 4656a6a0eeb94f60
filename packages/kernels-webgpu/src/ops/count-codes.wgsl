// countCodes: counts[index] = codes of src that decode to ±0, counts[index + 1] = codes at ±maxFinite or
// ±infinity (NaN codes in neither). Both slots are zeroed before the dispatch; each thread classifies
// PER_THREAD codes, each workgroup sums its threads in workgroup memory and adds to a slot once.
// Prepended: PER_WORD (codes per u32 word), exact-f32.wgsl and the format's codec (decode_code_bits,
// FMT_MAX_FINITE).
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> counts: array<atomic<u32>>;

const WG: u32 = 256u;
const PER_THREAD: u32 = 16u;

var<workgroup> wg_counts: array<atomic<u32>, 2>;

fn code_at(i: u32) -> u32 {
  if (PER_WORD == 2u) {
    return half_of(src[i / 2u], i);
  }
  return byte_of(src[i / 4u], i);
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let group = wid.x + wid.y * nwg.x;
  // Strided within the workgroup's span, so neighbouring threads read neighbouring words.
  let start = group * WG * PER_THREAD + lid;
  // Compared as bits: the decode is exact and integer-only, so no flushing compiler can blur a class.
  let max_bits = bitcast<u32>(FMT_MAX_FINITE);
  var zeros = 0u;
  var saturated = 0u;
  for (var k = 0u; k < PER_THREAD; k++) {
    let i = start + k * WG;
    if (i < params.n) {
      let mag = decode_code_bits(code_at(i)) & 0x7fffffffu;
      zeros += select(0u, 1u, mag == 0u);
      saturated += select(0u, 1u, mag == max_bits || mag == 0x7f800000u);
    }
  }
  if (zeros != 0u) {
    atomicAdd(&wg_counts[0], zeros);
  }
  if (saturated != 0u) {
    atomicAdd(&wg_counts[1], saturated);
  }
  workgroupBarrier();
  if (lid < 2u) {
    let c = atomicLoad(&wg_counts[lid]);
    if (c != 0u) {
      atomicAdd(&counts[params.index + lid], c);
    }
  }
}
