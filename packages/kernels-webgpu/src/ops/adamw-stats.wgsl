// adamwStats: the update of every element (no state written); max |x| of the new master, m and v
// into stats[0..2] and, for grouped v, each group's [max, smallest non-zero] of the new v into
// group_stats. Both are atomics over f32 bits on slots cleared before the dispatch: max |x| is a max
// over abs_bits (any NaN wins), the smallest non-zero a max over the complemented bits (0: none yet),
// which adamw-groups.wgsl turns back into a value. Needs moment-io.wgsl.
@group(0) @binding(1) var<storage, read> master_buf: array<u32>;
@group(0) @binding(2) var<storage, read> grad_buf: array<u32>;
@group(0) @binding(3) var<storage, read> m_buf: array<u32>;
@group(0) @binding(4) var<storage, read> v_buf: array<u32>;
@group(0) @binding(5) var<storage, read> scalars: array<f32>;
@group(0) @binding(6) var<storage, read> group_max: array<f32>;
@group(0) @binding(7) var<storage, read> group_exp: array<f32>;
@group(0) @binding(8) var<storage, read_write> stats: array<atomic<u32>>;
@group(0) @binding(9) var<storage, read_write> group_stats: array<atomic<u32>>;

var<workgroup> wg_amax: array<atomic<u32>, 3>;

fn flush_group(g: u32, mx: u32, mn: u32) {
  if (g == 0xffffffffu) {
    return;
  }
  atomicMax(&group_stats[2u * g], mx);
  if (mn != 0u) {
    atomicMax(&group_stats[2u * g + 1u], mn);
  }
}

@compute @workgroup_size(64)
fn main(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let e0 = flat_index(gid, nwg, 64u) * 4u;
  if (e0 < params.n) {
    let s = load_state(e0);
    var amax = vec3u(0u);
    // One thread's 4 elements span at most a few groups: fold runs of one group, one atomic each.
    var run_group = 0xffffffffu;
    var gmax = 0u;
    var gmin = 0u;
    for (var j = 0u; j < 4u; j++) {
      let e = e0 + j;
      if (e < params.n) {
        let r = adamw_element(s.p[j], s.g[j], s.m[j], s.v[j]);
        amax = max(amax, vec3u(abs_bits(r.p), abs_bits(r.m), abs_bits(r.v)));
        if (GROUPED) {
          let g = e / params.group_size;
          if (g != run_group) {
            flush_group(run_group, gmax, gmin);
            run_group = g;
            gmax = 0u;
            gmin = 0u;
          }
          gmax = max(gmax, abs_bits(r.v));
          if (r.v > 0.0) {
            gmin = max(gmin, ~bitcast<u32>(r.v));
          }
        }
      }
    }
    flush_group(run_group, gmax, gmin);
    atomicMax(&wg_amax[0], amax.x);
    atomicMax(&wg_amax[1], amax.y);
    atomicMax(&wg_amax[2], amax.z);
  }
  workgroupBarrier();
  if (lid < 3u) {
    let a = atomicLoad(&wg_amax[lid]);
    if (a != 0u) {
      atomicMax(&stats[lid], a);
    }
  }
}
