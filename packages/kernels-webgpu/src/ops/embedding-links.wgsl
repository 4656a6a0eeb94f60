// embeddingBackward, first pass: links positions that hold the same token, so the second pass can
// add each token's rows with one writer per dwte element (WGSL has no float atomics).
// links[p] = the next position q > p with tokens[q] == tokens[p], or N (none);
// links[N + p] = 1 if p is the first position of its token, else 0.
@group(0) @binding(1) var<storage, read> tokens: array<i32>;
@group(0) @binding(2) var<storage, read_write> links: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let p = flat_index(gid, nwg, 256u);
  let N = params.positions;
  if (p >= N) {
    return;
  }
  let tok = tokens[p];
  var first = 1u;
  for (var q = 0u; q < p; q++) {
    if (tokens[q] == tok) {
      first = 0u;
      break;
    }
  }
  var next = N;
  for (var q = p + 1u; q < N; q++) {
    if (tokens[q] == tok) {
      next = q;
      break;
    }
  }
  links[p] = next;
  links[N + p] = first;
}
