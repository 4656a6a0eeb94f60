// embeddingBackward, second pass: one thread per (position p, channel c). If p is the first position
// of its token, the thread follows the chain of positions with that token (in order) and adds the
// sum of their dout to dwte[token, c]; if p < T, it also adds Σ_b dout[b, p, c] to dwpe[p, c].
// Each dwte and dwpe element thus has a single writer. Accumulates.
@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> tokens: array<i32>;
@group(0) @binding(3) var<storage, read> links: array<u32>;
@group(0) @binding(4) var<storage, read_write> dwte: array<f32>;
@group(0) @binding(5) var<storage, read_write> dwpe: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 256u);
  let N = params.positions;
  let C = params.cols;
  if (i >= N * C) {
    return;
  }
  let p = i / C;
  let c = i % C;
  if (links[N + p] != 0u) {
    var sum = 0.0;
    // Strictly increasing positions, so the walk ends at N.
    for (var q = p; q < N; q = links[q]) {
      sum += dout[q * C + c];
    }
    let row = u32(tokens[p]);
    dwte[row * C + c] = dwte[row * C + c] + sum;
  }
  let T = params.seq;
  if (p < T) {
    var sum = 0.0;
    for (var q = p; q < N; q += T) {
      sum += dout[q * C + c];
    }
    dwpe[p * C + c] = dwpe[p * C + c] + sum;
  }
}
