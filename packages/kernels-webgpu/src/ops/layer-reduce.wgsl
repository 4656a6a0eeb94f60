// Workgroup-wide reductions for the layer ops that run one workgroup per row. The shader that
// includes this defines `const WG: u32`, its workgroup size (a power of two), and calls these from
// uniform control flow (they contain barriers). Every thread gets the result.
var<workgroup> wg_red: array<f32, WG>;

fn wg_sum(lid: u32, v: f32) -> f32 {
  wg_red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      wg_red[lid] = wg_red[lid] + wg_red[lid + s];
    }
    workgroupBarrier();
  }
  let total = wg_red[0];
  workgroupBarrier(); // every thread has read the result before the next reduction reuses wg_red
  return total;
}

fn wg_max(lid: u32, v: f32) -> f32 {
  wg_red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) {
      wg_red[lid] = max(wg_red[lid], wg_red[lid + s]);
    }
    workgroupBarrier();
  }
  let total = wg_red[0];
  workgroupBarrier();
  return total;
}

// The most negative finite f32: the identity of a max over scores.
const NEG_MAX_F32: f32 = -0x1.fffffep+127f;
