import type { DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `attentionForward` (not implemented yet). */
export function attentionForward(
  _ctx: GpuContext,
  ..._args: [qkv: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, att: DeviceTensor<'f32'>, numHeads: number]
): void {
  throw new Error('webgpu: attentionForward is not implemented yet');
}

/** `attentionBackward` (not implemented yet). */
export function attentionBackward(
  _ctx: GpuContext,
  ..._args: [
    dout: DeviceTensor<'f32'>,
    qkv: DeviceTensor<'f32'>,
    att: DeviceTensor<'f32'>,
    dqkv: DeviceTensor<'f32'>,
    numHeads: number,
  ]
): void {
  throw new Error('webgpu: attentionBackward is not implemented yet');
}
