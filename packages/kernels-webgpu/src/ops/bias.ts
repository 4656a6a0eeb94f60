import type { DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';
import { expectShape, f32, lastDim, noAlias } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import { biasBackwardWgsl, biasInplaceWgsl, biasWgsl } from '../wgsl.generated.js';

const addLayout = uniformLayout({ n: 'u32', cols: 'u32' });
const backwardLayout = uniformLayout({ rows: 'u32', cols: 'u32' });
const WORKGROUP = 256;
/** Columns per workgroup of bias-backward.wgsl (its COLS). */
const BACKWARD_COLS = 32;

/** `biasAdd`: `out[n,c] = x[n,c] + bias[c]`. Overwrites `out` (default: `x`, in place). */
export function biasAdd(
  ctx: GpuContext,
  x: DeviceTensor<'f32'>,
  bias: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'> = x,
): void {
  const X = f32(x, 'x');
  const Bi = f32(bias, 'bias');
  const O = f32(out, 'out');
  const C = lastDim(X, 'x');
  expectShape(Bi, 'bias', [C], '[C]');
  expectShape(O, 'out', X.shape, 'the shape of x');
  noAlias(O, 'out', [[Bi, 'bias']]);
  const inPlace = X.storage === O.storage;
  ctx.dispatch({
    key: inPlace ? 'biasAdd:inplace' : 'biasAdd',
    code: () => (inPlace ? biasInplaceWgsl : biasWgsl),
    uniforms: addLayout,
    values: { n: X.size, cols: C },
    buffers: inPlace
      ? [
          { buffer: O.buffer, access: 'read_write' },
          { buffer: Bi.buffer, access: 'read' },
        ]
      : [
          { buffer: X.buffer, access: 'read' },
          { buffer: Bi.buffer, access: 'read' },
          { buffer: O.buffer, access: 'read_write' },
        ],
    workgroups: ctx.grid1d(X.size, WORKGROUP),
  });
}

/** `biasBackward`: `dbias[c] += Σ_n dout[n,c]` (over every leading dimension). Accumulates into `dbias`. */
export function biasBackward(ctx: GpuContext, dout: DeviceTensor<'f32'>, dbias: DeviceTensor<'f32'>): void {
  const D = f32(dout, 'dout');
  const DB = f32(dbias, 'dbias');
  const C = lastDim(D, 'dout');
  expectShape(DB, 'dbias', [C], '[C]');
  noAlias(DB, 'dbias', [[D, 'dout']]);
  const rows = C === 0 ? 0 : D.size / C;
  if (rows === 0) return; // nothing to add (and C = 0 means no columns)
  ctx.dispatch({
    key: 'biasBackward',
    code: () => biasBackwardWgsl,
    uniforms: backwardLayout,
    values: { rows, cols: C },
    buffers: [
      { buffer: D.buffer, access: 'read' },
      { buffer: DB.buffer, access: 'read_write' },
    ],
    workgroups: [Math.ceil(C / BACKWARD_COLS)],
  });
}
