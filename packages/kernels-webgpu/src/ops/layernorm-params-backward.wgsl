// layernormBackward, the parameter part: dweight[c] += Σ_rows norm·dout, dbias[c] += Σ_rows dout.
// Laid out like bias-backward.wgsl: a workgroup owns COLS columns, LANES threads per column take
// every LANES-th row, then one thread per column adds the partial sums (one writer per element).
const COLS: u32 = 32u;
const LANES: u32 = 8u;

@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(6) var<storage, read_write> dbias: array<f32>;

var<workgroup> partial_w: array<f32, 256>; // COLS * LANES
var<workgroup> partial_b: array<f32, 256>;

@compute @workgroup_size(32, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let C = params.cols;
  let c = wid.x * COLS + lid.x;
  var acc_w = 0.0;
  var acc_b = 0.0;
  if (c < C) {
    for (var r = lid.y; r < params.rows; r += LANES) {
      let d = dout[r * C + c];
      acc_w += (x[r * C + c] - mean[r]) * rstd[r] * d;
      acc_b += d;
    }
  }
  partial_w[lid.y * COLS + lid.x] = acc_w;
  partial_b[lid.y * COLS + lid.x] = acc_b;
  workgroupBarrier();
  if (lid.y == 0u && c < C) {
    var sw = 0.0;
    var sb = 0.0;
    for (var k = 0u; k < LANES; k++) {
      sw += partial_w[k * COLS + lid.x];
      sb += partial_b[k * COLS + lid.x];
    }
    dweight[c] = dweight[c] + sw;
    dbias[c] = dbias[c] + sb;
  }
}
