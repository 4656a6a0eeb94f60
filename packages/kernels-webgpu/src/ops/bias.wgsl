// biasAdd: out[n, c] = x[n, c] + bias[c]. `out`, `load_x` and `load_bias` come from aliasedBindings
// (layer-checks.ts), so the same body runs in place (x is out) and into a separate output.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 256u);
  if (i < params.n) {
    out[i] = load_x(i) + load_bias(i % params.cols);
  }
}
