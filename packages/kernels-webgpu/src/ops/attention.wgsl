// attentionForward: one workgroup per (b, h, t) row (layer-row.wgsl). The row of att is first used as scratch for the
// scores, then the exponentials, then the probabilities; each thread keeps the same t2 columns
// through those steps, so only the final att · v step reads other threads' values.
const WG: u32 = 64u;

@group(0) @binding(1) var<storage, read> qkv: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> att: array<f32>;

// row = (b·NH + h)·T + t
fn row_main(row: u32, lid: u32) {
  let T = params.seq;
  let C = params.cols;
  let hs = params.head_size;
  let t = row % T;
  let bh = row / T;
  let h = bh % params.heads;
  let b = bh / params.heads;
  let C3 = 3u * C;
  let q_off = (b * T + t) * C3 + h * hs;
  let a_off = row * T;

  // Scores q·k/sqrt(hs) over the causal window, and their max.
  var mx = NEG_MAX_F32;
  for (var t2 = lid; t2 <= t; t2 += WG) {
    let k_off = (b * T + t2) * C3 + C + h * hs;
    var dot = 0.0;
    for (var i = 0u; i < hs; i++) {
      dot += qkv[q_off + i] * qkv[k_off + i];
    }
    let s = dot * params.scale;
    att[a_off + t2] = s;
    mx = max(mx, s);
  }
  let row_max = wg_max(lid, mx);
  // Softmax with the row max subtracted, so large scores cannot overflow.
  var sum = 0.0;
  for (var t2 = lid; t2 <= t; t2 += WG) {
    let e = exp(att[a_off + t2] - row_max);
    att[a_off + t2] = e;
    sum += e;
  }
  let total = wg_sum(lid, sum);
  for (var t2 = lid; t2 < T; t2 += WG) {
    att[a_off + t2] = select(0.0, att[a_off + t2] / total, t2 <= t);
  }
  storageBarrier(); // the probabilities written above are read by every thread below
  // out = att · v, from the stored probabilities (what the backward pass sees).
  let o_off = (b * T + t) * C + h * hs;
  let v_base = b * T * C3 + 2u * C + h * hs;
  for (var i = lid; i < hs; i += WG) {
    var acc = 0.0;
    for (var t2 = 0u; t2 <= t; t2++) {
      acc += att[a_off + t2] * qkv[v_base + t2 * C3 + i];
    }
    out[o_off + i] = acc;
  }
}
