import type { DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `embeddingForward` (not implemented yet). */
export function embeddingForward(
  _ctx: GpuContext,
  ..._args: [
    tokens: DeviceTensor<'i32'>,
    wte: DeviceTensor<'f32'>,
    wpe: DeviceTensor<'f32'>,
    out: DeviceTensor<'f32'>,
  ]
): void {
  throw new Error('webgpu: embeddingForward is not implemented yet');
}

/** `embeddingBackward` (not implemented yet). */
export function embeddingBackward(
  _ctx: GpuContext,
  ..._args: [
    dout: DeviceTensor<'f32'>,
    tokens: DeviceTensor<'i32'>,
    dwte: DeviceTensor<'f32'>,
    dwpe: DeviceTensor<'f32'>,
  ]
): void {
  throw new Error('webgpu: embeddingBackward is not implemented yet');
}
