import type { CodeDType, DequantizeOptions, DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `dequantize` (not implemented yet). */
export function dequantize(
  _ctx: GpuContext,
  ..._args: [src: DeviceTensor<CodeDType>, dst: DeviceTensor<'f32'>, options?: DequantizeOptions]
): void {
  throw new Error('webgpu: dequantize is not implemented yet');
}
