import type { ComputeScaleOptions, DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `computeScale` (not implemented yet). */
export function computeScale(
  _ctx: GpuContext,
  ..._args: [
    amax: DeviceTensor<'f32'>,
    scale: DeviceTensor<'f32'>,
    scaleInv: DeviceTensor<'f32'>,
    options: ComputeScaleOptions,
  ]
): void {
  throw new Error('webgpu: computeScale is not implemented yet');
}
