// crossEntropyForward (with cross-entropy-row.wgsl): losses[row] = log Σ exp(l - max) - (l[target] - max),
// 0 where the target is ignoreIndex.
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;

fn row_main(row: u32, lid: u32) {
  let y = row_target(row, lid);
  if (is_ignored(y)) {
    if (lid == 0u) {
      losses[row] = 0.0;
    }
    return;
  }
  let off = row * params.vocab;
  let stats = row_softmax_stats(off, lid); // (max, Σ exp(l - max))
  if (lid == 0u) {
    // log Σ exp(l - max) - (l_target - max): no large intermediate, so nothing is lost to the max.
    losses[row] = log(stats.y) - (logits[off + u32(y)] - stats.x);
  }
}
