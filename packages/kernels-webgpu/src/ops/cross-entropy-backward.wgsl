// crossEntropyBackward: one workgroup per (b, t) row; recomputes the softmax from the logits and
// adds dlossScale · (softmax - onehot(target)) to dlogits. Ignored rows are left as they are.
const WG: u32 = 256u;

@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read> scalars: array<f32>; // [dlossScale]

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
  let y = workgroupUniformLoad(&target_shared);
  if (params.has_ignore != 0u && y == params.ignore_index) {
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
  let scale = scalars[0];
  for (var v = lid; v < V; v += WG) {
    let p = exp(logits[off + v] - row_max) / total;
    let onehot = select(0.0, 1.0, i32(v) == y);
    dlogits[off + v] = dlogits[off + v] + scale * (p - onehot);
  }
}
