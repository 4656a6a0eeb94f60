import type { DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `amax` (not implemented yet). */
export function amax(
  _ctx: GpuContext,
  ..._args: [src: DeviceTensor<'f32'>, out: DeviceTensor<'f32'>, index?: number]
): void {
  throw new Error('webgpu: amax is not implemented yet');
}
