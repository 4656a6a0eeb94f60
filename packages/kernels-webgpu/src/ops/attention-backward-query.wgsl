// attentionBackward, first pass: one workgroup per (b, h, t) row (layer-row.wgsl); owns dq of that row.
// datt[t2] = dout_t · v_t2, dot = Σ_t2 att·datt (saved in `dots` for the second pass),
// dpre[t2] = att·(datt - dot)·scale, dq_t += Σ_t2 dpre[t2]·k_t2. Accumulates.
// The including code defines WG and IPT = ceil(hs / WG) (head elements per thread).

@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> att: array<f32>;
@group(0) @binding(4) var<storage, read_write> dqkv: array<f32>;
@group(0) @binding(5) var<storage, read_write> dots: array<f32>;

var<workgroup> chunk: array<f32, WG>;

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
  let a_off = row * T;
  let d_off = (b * T + t) * C + h * hs;
  let k_base = b * T * C3 + C + h * hs;
  let v_base = b * T * C3 + 2u * C + h * hs;

  var acc = 0.0;
  for (var t2 = lid; t2 <= t; t2 += WG) {
    var datt = 0.0;
    for (var i = 0u; i < hs; i++) {
      datt += dout[d_off + i] * qkv[v_base + t2 * C3 + i];
    }
    acc += att[a_off + t2] * datt;
  }
  let dot = wg_sum(lid, acc);
  if (lid == 0u) {
    dots[row] = dot;
  }

  var dq: array<f32, IPT>;
  for (var base = 0u; base <= t; base += WG) {
    let t2 = base + lid;
    var dpre = 0.0;
    if (t2 <= t) {
      var datt = 0.0;
      for (var i = 0u; i < hs; i++) {
        datt += dout[d_off + i] * qkv[v_base + t2 * C3 + i];
      }
      dpre = att[a_off + t2] * (datt - dot) * params.scale;
    }
    chunk[lid] = dpre;
    workgroupBarrier();
    let count = min(WG, t + 1u - base);
    for (var j = 0u; j < count; j++) {
      let k_off = k_base + (base + j) * C3;
      for (var r = 0u; r < IPT; r++) {
        let i = lid + r * WG;
        if (i < hs) {
          dq[r] += chunk[j] * qkv[k_off + i];
        }
      }
    }
    workgroupBarrier();
  }
  let q_off = (b * T + t) * C3 + h * hs;
  for (var r = 0u; r < IPT; r++) {
    let i = lid + r * WG;
    if (i < hs) {
      dqkv[q_off + i] = dqkv[q_off + i] + dq[r];
    }
  }
}
