import type { DeviceTensor, LossSumOptions } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `lossSum` (not implemented yet). */
export function lossSum(
  _ctx: GpuContext,
  ..._args: [losses: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, options?: LossSumOptions]
): void {
  throw new Error('webgpu: lossSum is not implemented yet');
}
