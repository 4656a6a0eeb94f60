import type { DeviceTensor, QuantizeBlocksOptions } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `quantizeBlocks` (not implemented yet). */
export function quantizeBlocks(
  _ctx: GpuContext,
  ..._args: [
    src: DeviceTensor<'f32'>,
    dst: DeviceTensor<'e4m3' | 'e5m2'>,
    scaleInv: DeviceTensor<'f32'> | DeviceTensor<'e8m0'>,
    options: QuantizeBlocksOptions,
  ]
): void {
  throw new Error('webgpu: quantizeBlocks is not implemented yet');
}
