// The entry point of the layer ops that run one workgroup per row (layernorm*, cross-entropy*,
// attention*): the including shader defines `const WG: u32`, its workgroup size, and
// `fn row_main(row: u32, lid: u32)`, which every thread of the workgroup calls for its row
// (< params.rows). The row is uniform across the workgroup, so row_main may use barriers.
@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = flat_index(wid, nwg, 1u);
  if (row < params.rows) {
    row_main(row, lid);
  }
}
