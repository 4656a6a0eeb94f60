// embeddingForward: out[b, t, c] = wte[tokens[b, t], c] + wpe[t, c], one thread per output element.
@group(0) @binding(1) var<storage, read> tokens: array<i32>;
@group(0) @binding(2) var<storage, read> wte: array<f32>;
@group(0) @binding(3) var<storage, read> wpe: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= params.n) {
    return;
  }
  let pos = i / params.cols; // b·T + t
  let c = i % params.cols;
  let t = pos % params.seq;
  // An id outside 0..V-1 reads out of bounds: WebGPU clamps or zeroes that, the result is undefined.
  let tok = u32(tokens[pos]);
  out[i] = wte[tok * params.cols + c] + wpe[t * params.cols + c];
}
