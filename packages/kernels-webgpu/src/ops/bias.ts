import type { DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `biasAdd` (not implemented yet). */
export function biasAdd(
  _ctx: GpuContext,
  ..._args: [x: DeviceTensor<'f32'>, bias: DeviceTensor<'f32'>, out?: DeviceTensor<'f32'>]
): void {
  throw new Error('webgpu: biasAdd is not implemented yet');
}

/** `biasBackward` (not implemented yet). */
export function biasBackward(
  _ctx: GpuContext,
  ..._args: [dout: DeviceTensor<'f32'>, dbias: DeviceTensor<'f32'>]
): void {
  throw new Error('webgpu: biasBackward is not implemented yet');
}
