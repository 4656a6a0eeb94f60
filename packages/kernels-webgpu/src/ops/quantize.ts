import type { CodeDType, DeviceTensor, QuantizeOptions } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `quantize` (not implemented yet). */
export function quantize(
  _ctx: GpuContext,
  ..._args: [src: DeviceTensor<'f32'>, dst: DeviceTensor<CodeDType>, options?: QuantizeOptions]
): void {
  throw new Error('webgpu: quantize is not implemented yet');
}
