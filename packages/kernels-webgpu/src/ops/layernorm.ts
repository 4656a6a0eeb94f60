import {
  type DeviceTensor,
  type LayernormOptions,
  layernormBackwardArgs,
  layernormForwardArgs,
} from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { gpuLayer, noAlias } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import {
  layernormBackwardWgsl,
  layernormParamsBackwardWgsl,
  layernormWgsl,
  layerReduceWgsl,
  layerRowWgsl,
} from '../wgsl.generated.js';

/** Columns per workgroup of layernorm-params-backward.wgsl (its COLS). */
const PARAMS_COLS = 32;

const forwardLayout = uniformLayout({ rows: 'u32', cols: 'u32', eps: 'f32' });
const backwardLayout = uniformLayout({ rows: 'u32', cols: 'u32' });

/**
 * `layernormForward`: per row of `x [..., C]`, `out = (x - mean)·rstd·weight + bias` with the biased
 * variance and `rstd = 1/sqrt(var + eps)`. Overwrites `out`, `mean`, `rstd`. One workgroup per row.
 */
export function layernormForward(
  ctx: GpuContext,
  x: DeviceTensor<'f32'>,
  weight: DeviceTensor<'f32'>,
  bias: DeviceTensor<'f32'>,
  out: DeviceTensor<'f32'>,
  mean: DeviceTensor<'f32'>,
  rstd: DeviceTensor<'f32'>,
  options: LayernormOptions = {},
): void {
  const args = layernormForwardArgs(gpuLayer, x, weight, bias, out, mean, rstd, options);
  const { X, W, Bi, O, M, R, C, rows, eps } = args;
  const inputs = [
    [X, 'x'],
    [W, 'weight'],
    [Bi, 'bias'],
  ] as const;
  noAlias(O, 'out', inputs);
  noAlias(M, 'mean', [...inputs, [O, 'out']]);
  noAlias(R, 'rstd', [...inputs, [O, 'out'], [M, 'mean']]);
  ctx.dispatch({
    key: 'layernormForward',
    code: () => `${layerReduceWgsl}\n${layerRowWgsl}\n${layernormWgsl}`,
    uniforms: forwardLayout,
    values: { rows, cols: C, eps },
    buffers: [...reads(X, W, Bi), ...writes(O, M, R)],
    workgroups: ctx.grid1d(rows, 1),
  });
}

/**
 * `layernormBackward` with the saved `mean` and `rstd`: `dx += rstd·(g - mean(g) - norm·mean(g·norm))`
 * with `g = weight·dout` (one workgroup per row), and `dweight += Σ norm·dout`, `dbias += Σ dout` over
 * the rows (one writer per column). Accumulates into `dx`, `dweight`, `dbias`.
 */
export function layernormBackward(
  ctx: GpuContext,
  dout: DeviceTensor<'f32'>,
  x: DeviceTensor<'f32'>,
  weight: DeviceTensor<'f32'>,
  mean: DeviceTensor<'f32'>,
  rstd: DeviceTensor<'f32'>,
  dx: DeviceTensor<'f32'>,
  dweight: DeviceTensor<'f32'>,
  dbias: DeviceTensor<'f32'>,
): void {
  const args = layernormBackwardArgs(gpuLayer, dout, x, weight, mean, rstd, dx, dweight, dbias);
  const { D, X, W, M, R, DX, DW, DB, C, rows } = args;
  const inputs = [
    [D, 'dout'],
    [X, 'x'],
    [W, 'weight'],
    [M, 'mean'],
    [R, 'rstd'],
  ] as const;
  noAlias(DX, 'dx', inputs);
  noAlias(DW, 'dweight', inputs);
  noAlias(DB, 'dbias', [...inputs, [DW, 'dweight']]);
  if (rows === 0 || C === 0) return; // no row adds anything
  ctx.dispatch({
    key: 'layernormBackward',
    code: () => `${layerReduceWgsl}\n${layerRowWgsl}\n${layernormBackwardWgsl}`,
    uniforms: backwardLayout,
    values: { rows, cols: C },
    buffers: [...reads(D, X, W, M, R), ...writes(DX)],
    workgroups: ctx.grid1d(rows, 1),
  });
  ctx.dispatch({
    key: 'layernormBackward:params',
    code: () => layernormParamsBackwardWgsl,
    uniforms: backwardLayout,
    values: { rows, cols: C },
    buffers: [...reads(D, X, M, R), ...writes(DW, DB)],
    workgroups: [Math.ceil(C / PARAMS_COLS)],
  });
}
