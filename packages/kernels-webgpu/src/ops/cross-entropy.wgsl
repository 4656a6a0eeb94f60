// crossEntropyForward: one workgroup per (b, t) row of logits [rows, V].
// losses[row] = log Σ exp(l - max) - (l[target] - max), 0 where the target is ignoreIndex.
const WG: u32 = 256u;

@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;

var<workgroup> target_shared: i32;

@compute @workgroup_size(256)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = flat_index(wid, nwg, 1u);
  if (row >= params.rows) {
    return;
  }
  if (lid == 0u) {
    target_shared = targets[row];
  }
  // A uniform copy of the target, so an ignored row can leave before the reductions' barriers.
  let y = workgroupUniformLoad(&target_shared);
  if (params.has_ignore != 0u && y == params.ignore_index) {
    if (lid == 0u) {
      losses[row] = 0.0;
    }
    return;
  }
  let V = params.vocab;
  let off = row * V;
  var mx = NEG_MAX_F32;
  for (var v = lid; v < V; v += WG) {
    mx = max(mx, logits[off + v]);
  }
  let row_max = wg_max(lid, mx);
  var sum = 0.0;
  for (var v = lid; v < V; v += WG) {
    sum += exp(logits[off + v] - row_max);
  }
  let total = wg_sum(lid, sum);
  if (lid == 0u) {
    // log Σ exp(l - max) - (l_target - max): no large intermediate, so nothing is lost to the max.
    losses[row] = log(total) - (logits[off + u32(y)] - row_max);
  }
}
