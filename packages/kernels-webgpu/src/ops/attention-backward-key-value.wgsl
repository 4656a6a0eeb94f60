// attentionBackward, second pass: one workgroup per (b, h, t2) (layer-row.wgsl); owns dk and dv of position t2.
// Over the rows t ≥ t2 (in chunks of WG, one t per thread): dpre[t] = att[t,t2]·(dout_t·v_t2 - dot_t)·scale
// with dot_t from the first pass, then dk_t2 += Σ_t dpre[t]·q_t and dv_t2 += Σ_t att[t,t2]·dout_t.
// Accumulates. The including code defines WG and IPT = ceil(hs / WG).

@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> att: array<f32>;
@group(0) @binding(4) var<storage, read> dots: array<f32>;
@group(0) @binding(5) var<storage, read_write> dqkv: array<f32>;

var<workgroup> chunk_dpre: array<f32, WG>;
var<workgroup> chunk_att: array<f32, WG>;

// col = (b·NH + h)·T + t2
fn row_main(col: u32, lid: u32) {
  let T = params.seq;
  let C = params.cols;
  let hs = params.head_size;
  let t2 = col % T;
  let bh = col / T;
  let h = bh % params.heads;
  let b = bh / params.heads;
  let C3 = 3u * C;
  let v_off = (b * T + t2) * C3 + 2u * C + h * hs;
  let q_base = b * T * C3 + h * hs;
  let d_base = b * T * C + h * hs;

  var dk: array<f32, IPT>;
  var dv: array<f32, IPT>;
  for (var base = t2; base < T; base += WG) {
    let t = base + lid;
    var dpre = 0.0;
    var a = 0.0;
    if (t < T) {
      a = att[(bh * T + t) * T + t2];
      var datt = 0.0;
      for (var i = 0u; i < hs; i++) {
        datt += dout[d_base + t * C + i] * qkv[v_off + i];
      }
      dpre = a * (datt - dots[bh * T + t]) * params.scale;
    }
    chunk_dpre[lid] = dpre;
    chunk_att[lid] = a;
    workgroupBarrier();
    let count = min(WG, T - base);
    for (var j = 0u; j < count; j++) {
      let t_j = base + j;
      for (var r = 0u; r < IPT; r++) {
        let i = lid + r * WG;
        if (i < hs) {
          dk[r] += chunk_dpre[j] * qkv[q_base + t_j * C3 + i];
          dv[r] += chunk_att[j] * dout[d_base + t_j * C + i];
        }
      }
    }
    workgroupBarrier();
  }
  let k_off = (b * T + t2) * C3 + C + h * hs;
  for (var r = 0u; r < IPT; r++) {
    let i = lid + r * WG;
    if (i < hs) {
      dqkv[k_off + i] = dqkv[k_off + i] + dk[r];
      dqkv[v_off + i] = dqkv[v_off + i] + dv[r];
    }
  }
}
