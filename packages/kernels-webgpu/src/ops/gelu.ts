import type { DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `geluForward` (not implemented yet). */
export function geluForward(
  _ctx: GpuContext,
  ..._args: [x: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>]
): void {
  throw new Error('webgpu: geluForward is not implemented yet');
}

/** `geluBackward` (not implemented yet). */
export function geluBackward(
  _ctx: GpuContext,
  ..._args: [dout: DeviceTensor<'f32'>, x: DeviceTensor<'f32'>, dx: DeviceTensor<'f32'>]
): void {
  throw new Error('webgpu: geluBackward is not implemented yet');
}
