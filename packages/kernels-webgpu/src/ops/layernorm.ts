import type { DeviceTensor, LayernormOptions } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `layernormForward` (not implemented yet). */
export function layernormForward(
  _ctx: GpuContext,
  ..._args: [
    x: DeviceTensor<'f32'>,
    weight: DeviceTensor<'f32'>,
    bias: DeviceTensor<'f32'>,
    out: DeviceTensor<'f32'>,
    mean: DeviceTensor<'f32'>,
    rstd: DeviceTensor<'f32'>,
    options?: LayernormOptions,
  ]
): void {
  throw new Error('webgpu: layernormForward is not implemented yet');
}

/** `layernormBackward` (not implemented yet). */
export function layernormBackward(
  _ctx: GpuContext,
  ..._args: [
    dout: DeviceTensor<'f32'>,
    x: DeviceTensor<'f32'>,
    weight: DeviceTensor<'f32'>,
    mean: DeviceTensor<'f32'>,
    rstd: DeviceTensor<'f32'>,
    dx: DeviceTensor<'f32'>,
    dweight: DeviceTensor<'f32'>,
    dbias: DeviceTensor<'f32'>,
  ]
): void {
  throw new Error('webgpu: layernormBackward is not implemented yet');
}
