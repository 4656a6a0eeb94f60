// geluForward in place (out is x): one binding, since a buffer bound twice with one binding
// writable is a validation error.
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 256u);
  if (i < params.n) {
    dst[i] = gelu(dst[i]);
  }
}
