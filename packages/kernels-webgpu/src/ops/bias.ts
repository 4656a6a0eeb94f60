import { biasAddArgs, biasBackwardArgs, type DeviceTensor } from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { aliasedBindings, gpuLayer, noAlias } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import { biasBackwardWgsl, biasWgsl } from '../wgsl.generated.js';

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
  const { X, Bi, O, C } = biasAddArgs(gpuLayer, x, bias, out);
  noAlias(O, 'out', [[Bi, 'bias']]);
  const io = aliasedBindings(O, [
    ['x', X],
    ['bias', Bi],
  ]);
  ctx.dispatch({
    key: `biasAdd${io.key}`,
    code: () => `${io.wgsl}${biasWgsl}`,
    uniforms: addLayout,
    values: { n: X.size, cols: C },
    buffers: io.buffers,
    workgroups: ctx.grid1d(X.size, WORKGROUP),
  });
}

/** `biasBackward`: `dbias[c] += Σ_n dout[n,c]` (over every leading dimension). Accumulates into `dbias`. */
export function biasBackward(ctx: GpuContext, dout: DeviceTensor<'f32'>, dbias: DeviceTensor<'f32'>): void {
  const { D, DB, C, rows } = biasBackwardArgs(gpuLayer, dout, dbias);
  noAlias(DB, 'dbias', [[D, 'dout']]);
  if (rows === 0) return; // nothing to add (and C = 0 means no columns)
  ctx.dispatch({
    key: 'biasBackward',
    code: () => biasBackwardWgsl,
    uniforms: backwardLayout,
    values: { rows, cols: C },
    buffers: [...reads(D), ...writes(DB)],
    workgroups: [Math.ceil(C / BACKWARD_COLS)],
  });
}
