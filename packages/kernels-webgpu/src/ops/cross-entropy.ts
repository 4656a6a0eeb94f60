import type { CrossEntropyBackwardOptions, CrossEntropyOptions, DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `crossEntropyForward` (not implemented yet). */
export function crossEntropyForward(
  _ctx: GpuContext,
  ..._args: [
    logits: DeviceTensor<'f32'>,
    targets: DeviceTensor<'i32'>,
    losses: DeviceTensor<'f32'>,
    options?: CrossEntropyOptions,
  ]
): void {
  throw new Error('webgpu: crossEntropyForward is not implemented yet');
}

/** `crossEntropyBackward` (not implemented yet). */
export function crossEntropyBackward(
  _ctx: GpuContext,
  ..._args: [
    logits: DeviceTensor<'f32'>,
    targets: DeviceTensor<'i32'>,
    dlogits: DeviceTensor<'f32'>,
    options?: CrossEntropyBackwardOptions,
  ]
): void {
  throw new Error('webgpu: crossEntropyBackward is not implemented yet');
}
