// out = a + b elementwise: residualForward, whichever operands out is, and each half of
// residualBackward (out is the gradient, a = out, b = dout). `out`, `load_a` and `load_b` come from
// aliasedBindings (layer-checks.ts), which binds each buffer once.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 256u);
  if (i < params.n) {
    out[i] = load_a(i) + load_b(i);
  }
}
