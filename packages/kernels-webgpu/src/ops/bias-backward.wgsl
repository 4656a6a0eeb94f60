// biasBackward: dbias[c] += Σ_n dout[n, c]. A workgroup owns COLS columns: its threads read
// consecutive columns (coalesced) of every LANES-th row, and a second step adds the LANES partial
// sums of each column, so every dbias element has one writer (no float atomics in WGSL).
const COLS: u32 = 32u;
const LANES: u32 = 8u;

@group(0) @binding(1) var<storage, read> dout: array<f32>;
@group(0) @binding(2) var<storage, read_write> dbias: array<f32>;

var<workgroup> partial: array<f32, 256>; // COLS * LANES

@compute @workgroup_size(32, 8)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c = wid.x * COLS + lid.x;
  var acc = 0.0;
  if (c < params.cols) {
    for (var r = lid.y; r < params.rows; r += LANES) {
      acc += dout[r * params.cols + c];
    }
  }
  partial[lid.y * COLS + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && c < params.cols) {
    var sum = 0.0;
    for (var k = 0u; k < LANES; k++) {
      sum += partial[k * COLS + lid.x];
    }
    dbias[c] = dbias[c] + sum;
  }
}
