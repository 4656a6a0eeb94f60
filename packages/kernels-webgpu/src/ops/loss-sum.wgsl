// lossSum: out[index] = scale · Σ losses, by a single workgroup (strided partial sums, then a tree).
const WG: u32 = 256u;

@group(0) @binding(1) var<storage, read> losses: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> scalars: array<f32>; // [scale]

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < params.n; i += WG) {
    sum += losses[i];
  }
  let total = wg_sum(lid, sum);
  if (lid == 0u) {
    out[params.index] = scalars[0] * total;
  }
}
