// Per-group statistics of grouped v (COAT range expansion), one thread per group.
// Phase 0 (after adamwStats): the smallest non-zero slot holds the complemented bits of its value
// (0: the group had none) and becomes the f32 value (0 when none).
// Phase 1 (before adamwApply): each group's new max and expansion exponent from group_stats into
// new_groups as [max_0 .. max_{G-1}, k_0 .. k_{G-1}], which two buffer copies then move into
// vGroups.groupMax and vGroups.exponent after the apply dispatch has read the old ones.
@group(0) @binding(1) var<storage, read_write> group_stats: array<u32>;
@group(0) @binding(2) var<storage, read_write> new_groups: array<f32>;

// The range-expansion exponent of a group from its [max, smallest non-zero]: the k that maps the
// group's range onto E4M3's normal range, at most MAX_EXPANSION; 1 for degenerate groups
// (kernels-cpu's expansionExponent).
fn expansion_exponent(mx: f32, mn: f32) -> f32 {
  let finite = (bitcast<u32>(mx) & 0x7f800000u) != 0x7f800000u;
  if (!(mx > 0.0) || !(mn > 0.0) || !(mx > mn) || !finite) {
    return 1.0;
  }
  return min(MAX_EXPANSION, LOG_E4M3_RANGE / log(mx / mn));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let g = flat_index(gid, nwg, 64u);
  if (g >= params.count) {
    return;
  }
  if (params.phase == 0u) {
    let s = group_stats[2u * g + 1u];
    group_stats[2u * g + 1u] = select(~s, 0u, s == 0u);
  } else {
    let mx = bitcast<f32>(group_stats[2u * g]);
    let mn = bitcast<f32>(group_stats[2u * g + 1u]);
    new_groups[g] = mx;
    new_groups[params.count + g] = expansion_exponent(mx, mn);
  }
}
