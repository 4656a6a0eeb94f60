import type { DeviceTensor, ScaleArg } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `sumSquares` (not implemented yet). */
export function sumSquares(
  _ctx: GpuContext,
  ..._args: [x: DeviceTensor, out: DeviceTensor<'f32'>, index?: number, options?: { scaleInv?: ScaleArg }]
): void {
  throw new Error('webgpu: sumSquares is not implemented yet');
}
