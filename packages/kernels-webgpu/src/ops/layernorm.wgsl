// layernormForward: one workgroup per row of x [rows, C] (layer-row.wgsl). Two passes over the row (the mean, then
// Σ(x - mean)²), so a row far from 0 or a constant row loses no precision to cancellation.
const WG: u32 = 128u;

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;

fn row_main(row: u32, lid: u32) {
  let C = params.cols;
  let off = row * C;
  var s = 0.0;
  for (var i = lid; i < C; i += WG) {
    s += x[off + i];
  }
  let m = wg_sum(lid, s) / f32(C);
  var q = 0.0;
  for (var i = lid; i < C; i += WG) {
    let d = x[off + i] - m;
    q += d * d;
  }
  // 1/sqrt rather than inverseSqrt, which some drivers compute to a few ulp only.
  let r = 1.0 / sqrt(wg_sum(lid, q) / f32(C) + params.eps);
  for (var i = lid; i < C; i += WG) {
    out[off + i] = (x[off + i] - m) * r * weight[i] + bias[i];
  }
  if (lid == 0u) {
    mean[row] = m;
    rstd[row] = r;
  }
}
