import {
  type CrossEntropyBackwardOptions,
  type CrossEntropyOptions,
  crossEntropyArgs,
  crossEntropyOutArg,
  type DeviceTensor,
  layerFiniteScale,
} from '@fp8lm/tensor-interface';
import { type GpuContext, reads, writes } from '../context.js';
import { gpuLayer, noAlias } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import {
  crossEntropyBackwardWgsl,
  crossEntropyRowWgsl,
  crossEntropyWgsl,
  layerReduceWgsl,
  layerRowWgsl,
} from '../wgsl.generated.js';

/** What both passes prepend: the reductions, the per-row entry point and the shared row helpers. */
const rowWgsl = `${layerReduceWgsl}\n${layerRowWgsl}\n${crossEntropyRowWgsl}`;

const layout = uniformLayout({ rows: 'u32', vocab: 'u32', has_ignore: 'u32', ignore_index: 'i32' });

/** The shared checks of logits and targets (the target values are device data), and the uniforms. */
function check(logits: DeviceTensor<'f32'>, targets: DeviceTensor<'i32'>, options: CrossEntropyOptions) {
  const { L, Y, B, T, V, ignore } = crossEntropyArgs(gpuLayer, logits, targets, options);
  // An ignoreIndex outside i32 can never equal a target: the same as none.
  const hasIgnore = ignore !== undefined && ignore >= -(2 ** 31) && ignore < 2 ** 31;
  const values = {
    rows: B * T,
    vocab: V,
    has_ignore: hasIgnore ? 1 : 0,
    ignore_index: hasIgnore ? ignore : 0,
  };
  return { L, Y, B, T, V, values };
}

/**
 * `crossEntropyForward`: `losses[b,t] = logsumexp(logits[b,t,:]) - logits[b,t,target]` (row max
 * subtracted), 0 where the target is `ignoreIndex`. Overwrites `losses`. One workgroup per row.
 */
export function crossEntropyForward(
  ctx: GpuContext,
  logits: DeviceTensor<'f32'>,
  targets: DeviceTensor<'i32'>,
  losses: DeviceTensor<'f32'>,
  options: CrossEntropyOptions = {},
): void {
  const { L, Y, B, T, V, values } = check(logits, targets, options);
  const O = crossEntropyOutArg(gpuLayer, losses, 'losses', { B, T, V });
  noAlias(O, 'losses', [
    [L, 'logits'],
    [Y, 'targets'],
  ]);
  ctx.dispatch({
    key: 'crossEntropyForward',
    code: () => `${rowWgsl}\n${crossEntropyWgsl}`,
    uniforms: layout,
    values,
    buffers: [...reads(L, Y), ...writes(O)],
    workgroups: ctx.grid1d(values.rows, 1),
  });
}

/**
 * `crossEntropyBackward`: `dlogits[b,t,:] += dlossScale · (softmax(logits[b,t,:]) - onehot(target))`,
 * the softmax recomputed from the logits; rows with an ignored target are left as they are.
 * `dlossScale` may be a device tensor (read on the device, no sync). Accumulates into `dlogits`.
 */
export function crossEntropyBackward(
  ctx: GpuContext,
  logits: DeviceTensor<'f32'>,
  targets: DeviceTensor<'i32'>,
  dlogits: DeviceTensor<'f32'>,
  options: CrossEntropyBackwardOptions = {},
): void {
  const { L, Y, B, T, V, values } = check(logits, targets, options);
  const D = crossEntropyOutArg(gpuLayer, dlogits, 'dlogits', { B, T, V });
  noAlias(D, 'dlogits', [
    [L, 'logits'],
    [Y, 'targets'],
  ]);
  layerFiniteScale(options.dlossScale, 'dlossScale');
  if (values.rows === 0 || V === 0) return;
  const scalars = ctx.scalars([options.dlossScale], ['dlossScale']);
  ctx.dispatch({
    key: 'crossEntropyBackward',
    code: () => `${rowWgsl}\n${crossEntropyBackwardWgsl}`,
    uniforms: layout,
    values,
    buffers: [...reads(L, Y), ...writes(D), ...reads(scalars)],
    workgroups: ctx.grid1d(values.rows, 1),
  });
}
