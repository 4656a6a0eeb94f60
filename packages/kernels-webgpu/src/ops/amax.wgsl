// amax: out[index] = max |src[i]| (NaN if any NaN). The slot is zeroed before the dispatch; each
// thread takes the max of PER_THREAD elements and raises the slot with one atomicMax. |x| is compared
// as bits (abs_bits): ordered like the values for non-negative floats, NaNs above +inf.
// No workgroup reduction is needed: raise_max loads the slot first, so most threads skip the atomic.
@group(0) @binding(1) var<storage, read> src: array<u32>; // f32 bits
@group(0) @binding(2) var<storage, read_write> amax_out: array<atomic<u32>>;

const WG: u32 = 256u;
const PER_THREAD: u32 = 16u;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let group = wid.x + wid.y * nwg.x;
  // Strided within the workgroup's span, so neighbouring threads read neighbouring words.
  let start = group * WG * PER_THREAD + lid;
  var m = 0u;
  for (var k = 0u; k < PER_THREAD; k++) {
    let i = start + k * WG;
    if (i < params.n) {
      m = max(m, src[i] & 0x7fffffffu);
    }
  }
  raise_max(&amax_out[params.index], m);
}
