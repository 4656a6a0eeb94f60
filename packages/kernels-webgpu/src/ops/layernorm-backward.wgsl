// layernormBackward, the dx part: one workgroup per row (layer-row.wgsl). With norm = (x - mean)·rstd and
// g = weight·dout: dx += rstd·(g - mean(g) - norm·mean(g·norm)). Accumulates.
const WG: u32 = 128u;

@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> rstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

fn row_main(row: u32, lid: u32) {
  let C = params.cols;
  let off = row * C;
  let m = mean[row];
  let r = rstd[row];
  var g = 0.0;
  var gn = 0.0;
  for (var i = lid; i < C; i += WG) {
    let wd = weight[i] * dout[off + i];
    g += wd;
    gn += wd * (x[off + i] - m) * r;
  }
  let g_mean = wg_sum(lid, g) / f32(C);
  let gn_mean = wg_sum(lid, gn) / f32(C);
  for (var i = lid; i < C; i += WG) {
    let norm = (x[off + i] - m) * r;
    let wd = weight[i] * dout[off + i];
    dx[off + i] = dx[off + i] + r * (wd - g_mean - norm * gn_mean);
  }
}
