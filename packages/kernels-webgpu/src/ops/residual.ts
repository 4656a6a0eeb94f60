import type { DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `residualForward` (not implemented yet). */
export function residualForward(
  _ctx: GpuContext,
  ..._args: [a: DeviceTensor<'f32'>, b: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>]
): void {
  throw new Error('webgpu: residualForward is not implemented yet');
}

/** `residualBackward` (not implemented yet). */
export function residualBackward(
  _ctx: GpuContext,
  ..._args: [dout: DeviceTensor<'f32'>, da: DeviceTensor<'f32'>, db: DeviceTensor<'f32'>]
): void {
  throw new Error('webgpu: residualBackward is not implemented yet');
}
