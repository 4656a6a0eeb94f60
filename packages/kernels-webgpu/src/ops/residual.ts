import type { DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';
import { expectShape, f32, noAlias } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import { residualAddWgsl, residualDoubleWgsl, residualWgsl } from '../wgsl.generated.js';

const layout = uniformLayout({ n: 'u32' });
const WORKGROUP = 256;

/** `dst += src`, elementwise over `n` elements (dst and src distinct buffers). */
function addInto(ctx: GpuContext, dst: GPUBuffer, src: GPUBuffer, n: number): void {
  ctx.dispatch({
    key: 'residual:add',
    code: () => residualAddWgsl,
    uniforms: layout,
    values: { n },
    buffers: [
      { buffer: dst, access: 'read_write' },
      { buffer: src, access: 'read' },
    ],
    workgroups: ctx.grid1d(n, WORKGROUP),
  });
}

/** `residualForward`: `out = a + b`, elementwise. Overwrites `out`, which may be `a` or `b` (or both). */
export function residualForward(
  ctx: GpuContext,
  a: DeviceTensor<'f32'>,
  b: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
): void {
  const A = f32(a, 'a');
  const Bt = f32(b, 'b');
  const O = f32(out, 'out');
  expectShape(Bt, 'b', A.shape, 'the shape of a');
  expectShape(O, 'out', A.shape, 'the shape of a');
  const n = A.size;
  const outIsA = O.storage === A.storage;
  const outIsB = O.storage === Bt.storage;
  // Each aliasing pattern binds every buffer once (a writable buffer bound twice is invalid).
  if (outIsA && outIsB) {
    ctx.dispatch({
      key: 'residual:double',
      code: () => residualDoubleWgsl,
      uniforms: layout,
      values: { n },
      buffers: [{ buffer: O.buffer, access: 'read_write' }],
      workgroups: ctx.grid1d(n, WORKGROUP),
    });
  } else if (outIsA || outIsB) {
    addInto(ctx, O.buffer, outIsA ? Bt.buffer : A.buffer, n);
  } else {
    ctx.dispatch({
      key: 'residual',
      code: () => residualWgsl,
      uniforms: layout,
      values: { n },
      buffers: [
        { buffer: A.buffer, access: 'read' },
        { buffer: Bt.buffer, access: 'read' },
        { buffer: O.buffer, access: 'read_write' },
      ],
      workgroups: ctx.grid1d(n, WORKGROUP),
    });
  }
}

/** `residualBackward`: `da += dout`, `db += dout`. Accumulates into both (twice if they are one tensor). */
export function residualBackward(
  ctx: GpuContext,
  dout: DeviceTensor<'f32'>,
  da: DeviceTensor<'f32'>,
  db: DeviceTensor<'f32'>,
): void {
  const D = f32(dout, 'dout');
  const DA = f32(da, 'da');
  const DB = f32(db, 'db');
  expectShape(DA, 'da', D.shape, 'the shape of dout');
  expectShape(DB, 'db', D.shape, 'the shape of dout');
  noAlias(DA, 'da', [[D, 'dout']]);
  noAlias(DB, 'db', [[D, 'dout']]);
  // Two passes, so da and db being one tensor just adds dout twice, as two consumers would.
  addInto(ctx, DA.buffer, D.buffer, D.size);
  addInto(ctx, DB.buffer, D.buffer, D.size);
}
