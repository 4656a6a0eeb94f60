// What crossEntropyForward and crossEntropyBackward share (with layer-row.wgsl and
// layer-reduce.wgsl): one workgroup per (b, t) row of logits [rows, V], its target, and the row's
// softmax statistics.
const WG: u32 = 256u;

@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<i32>;

var<workgroup> target_shared: i32;

// The row's target as a uniform value, so an ignored row can leave before the reductions' barriers.
fn row_target(row: u32, lid: u32) -> i32 {
  if (lid == 0u) {
    target_shared = targets[row];
  }
  return workgroupUniformLoad(&target_shared);
}

fn is_ignored(y: i32) -> bool {
  return params.has_ignore != 0u && y == params.ignore_index;
}

// The max of the row at `off` and Σ exp(l - max), in every thread: with the max subtracted, exp
// cannot overflow.
fn row_softmax_stats(off: u32, lid: u32) -> vec2f {
  let V = params.vocab;
  var mx = NEG_MAX_F32;
  for (var v = lid; v < V; v += WG) {
    mx = max(mx, logits[off + v]);
  }
  let row_max = wg_max(lid, mx);
  var sum = 0.0;
  for (var v = lid; v < V; v += WG) {
    sum += exp(logits[off + v] - row_max);
  }
  return vec2f(row_max, wg_sum(lid, sum));
}
