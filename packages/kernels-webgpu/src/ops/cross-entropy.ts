import type { CrossEntropyBackwardOptions, CrossEntropyOptions, DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';
import { checkFiniteScale, dims, expectShape, f32, i32, noAlias } from '../layer-checks.js';
import { uniformLayout } from '../uniforms.js';
import { crossEntropyBackwardWgsl, crossEntropyWgsl, layerReduceWgsl } from '../wgsl.generated.js';

const layout = uniformLayout({ rows: 'u32', vocab: 'u32', has_ignore: 'u32', ignore_index: 'i32' });

/** Checks logits `[B, T, V]` and targets `[B, T]`; the target values are device data, not checked. */
function check(logits: DeviceTensor<'f32'>, targets: DeviceTensor<'i32'>, options: CrossEntropyOptions) {
  const L = f32(logits, 'logits');
  const Y = i32(targets, 'targets');
  const [B, T, V] = dims(L, 'logits', ['B', 'T', 'V']);
  expectShape(Y, 'targets', [B, T], '[B, T]');
  const ignore = options.ignoreIndex;
  if (ignore !== undefined && !Number.isInteger(ignore)) {
    throw new RangeError(`ignoreIndex: expected an integer, found ${ignore}`);
  }
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
  const { L, Y, B, T, values } = check(logits, targets, options);
  const O = f32(losses, 'losses');
  expectShape(O, 'losses', [B, T], '[B, T]');
  noAlias(O, 'losses', [
    [L, 'logits'],
    [Y, 'targets'],
  ]);
  ctx.dispatch({
    key: 'crossEntropyForward',
    code: () => `${layerReduceWgsl}\n${crossEntropyWgsl}`,
    uniforms: layout,
    values,
    buffers: [
      { buffer: L.buffer, access: 'read' },
      { buffer: Y.buffer, access: 'read' },
      { buffer: O.buffer, access: 'read_write' },
    ],
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
  const D = f32(dlogits, 'dlogits');
  expectShape(D, 'dlogits', [B, T, V], '[B, T, V]');
  noAlias(D, 'dlogits', [
    [L, 'logits'],
    [Y, 'targets'],
  ]);
  checkFiniteScale(options.dlossScale, 'dlossScale');
  if (values.rows === 0 || V === 0) return;
  const scalars = ctx.scalars([options.dlossScale], ['dlossScale']);
  ctx.dispatch({
    key: 'crossEntropyBackward',
    code: () => `${layerReduceWgsl}\n${crossEntropyBackwardWgsl}`,
    uniforms: layout,
    values,
    buffers: [
      { buffer: L.buffer, access: 'read' },
      { buffer: Y.buffer, access: 'read' },
      { buffer: D.buffer, access: 'read_write' },
      { buffer: scalars, access: 'read' },
    ],
    workgroups: ctx.grid1d(values.rows, 1),
  });
}
