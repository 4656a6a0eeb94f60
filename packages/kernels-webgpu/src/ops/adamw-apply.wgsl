// adamwApply: recomputes the adamwStats update and writes master, m and v in place, each quantized
// with its next scale (scalars[4..6]); for grouped v, y^k · maxFinite with the new group max and
// exponent from new_groups ([max_0.., k_0..], built by adamw-groups.wgsl). A thread owns elements
// 4q..4q+3: whole words of every packed tensor. Needs moment-io.wgsl.
@group(0) @binding(1) var<storage, read_write> master_buf: array<u32>;
@group(0) @binding(2) var<storage, read> grad_buf: array<u32>;
@group(0) @binding(3) var<storage, read_write> m_buf: array<u32>;
@group(0) @binding(4) var<storage, read_write> v_buf: array<u32>;
@group(0) @binding(5) var<storage, read> scalars: array<f32>;
@group(0) @binding(6) var<storage, read> group_max: array<f32>;
@group(0) @binding(7) var<storage, read> group_exp: array<f32>;
@group(0) @binding(8) var<storage, read> new_groups: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e0 = flat_index(gid, nwg, 64u) * 4u;
  if (e0 >= params.n) {
    return;
  }
  let s = load_state(e0);
  var p = vec4f(0.0);
  var m = vec4f(0.0);
  var v = vec4f(0.0);
  for (var j = 0u; j < 4u; j++) {
    let e = e0 + j;
    if (e < params.n) {
      let r = adamw_element(s.p[j], s.g[j], s.m[j], s.v[j]);
      p[j] = r.p * scalars[4];
      m[j] = r.m * scalars[5];
      if (GROUPED) {
        let g = e / params.group_size;
        v[j] = grouped_encode_value(r.v, new_groups[g], new_groups[params.group_count + g]);
      } else {
        v[j] = r.v * scalars[6];
      }
    }
  }
  // Elements past n stay 0: the padding of a tail word is written as zero codes.
  let wp = pack4(MASTER_T, p);
  let wm = pack4(M_T, m);
  let wv = pack4(V_T, v);
  for (var j = 0u; j < 4u; j++) {
    if (word_exists(MASTER_T, e0, j, params.n)) {
      master_buf[first_word(MASTER_T, e0) + j] = wp[j];
    }
    if (word_exists(M_T, e0, j, params.n)) {
      m_buf[first_word(M_T, e0) + j] = wm[j];
    }
    if (word_exists(V_T, e0, j, params.n)) {
      v_buf[first_word(V_T, e0) + j] = wv[j];
    }
  }
}
