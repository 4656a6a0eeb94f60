import { type DeviceTensor, residualBackwardArgs, residualForwardArgs } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';
import { aliasedBindings, gpuLayer, noAlias } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import type { WebGpuTensor } from '../webgpu-tensor.js';
import { residualWgsl } from '../wgsl.generated.js';

const layout = uniformLayout({ n: 'u32' });
const WORKGROUP = 256;

/** `out = a + b` elementwise, for any aliasing of `out` with `a` and `b` (each buffer bound once). */
function add(ctx: GpuContext, a: WebGpuTensor, b: WebGpuTensor, out: WebGpuTensor): void {
  const io = aliasedBindings(out, [
    ['a', a],
    ['b', b],
  ]);
  ctx.dispatch({
    key: `residual${io.key}`,
    code: () => `${io.wgsl}${residualWgsl}`,
    uniforms: layout,
    values: { n: out.size },
    buffers: io.buffers,
    workgroups: ctx.grid1d(out.size, WORKGROUP),
  });
}

/** `residualForward`: `out = a + b`, elementwise. Overwrites `out`, which may be `a` or `b` (or both). */
export function residualForward(
  ctx: GpuContext,
  a: DeviceTensor<'f32'>,
  b: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
): void {
  const { A, Bt, O } = residualForwardArgs(gpuLayer, a, b, out);
  add(ctx, A, Bt, O);
}

/** `residualBackward`: `da += dout`, `db += dout`. Accumulates into both (twice if they are one tensor). */
export function residualBackward(
  ctx: GpuContext,
  dout: DeviceTensor<'f32'>,
  da: DeviceTensor<'f32'>,
  db: DeviceTensor<'f32'>,
): void {
  const { D, DA, DB } = residualBackwardArgs(gpuLayer, dout, da, db);
  noAlias(DA, 'da', [[D, 'dout']]);
  noAlias(DB, 'db', [[D, 'dout']]);
  // Two passes, so da and db being one tensor just adds dout twice, as two consumers would.
  add(ctx, DA, D, DA);
  add(ctx, DB, D, DB);
}
