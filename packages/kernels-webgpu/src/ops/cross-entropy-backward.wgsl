// crossEntropyBackward (with cross-entropy-row.wgsl): recomputes the softmax from the logits and
// adds dlossScale · (softmax - onehot(target)) to dlogits. Ignored rows are left as they are.
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read> scalars: array<f32>; // [dlossScale]

fn row_main(row: u32, lid: u32) {
  let y = row_target(row, lid);
  if (is_ignored(y)) {
    return;
  }
  let V = params.vocab;
  let off = row * V;
  let stats = row_softmax_stats(off, lid); // (max, Σ exp(l - max))
  let scale = scalars[0];
  for (var v = lid; v < V; v += WG) {
    let p = exp(logits[off + v] - stats.x) / stats.y;
    let onehot = select(0.0, 1.0, i32(v) == y);
    dlogits[off + v] = dlogits[off + v] + scale * (p - onehot);
  }
}
