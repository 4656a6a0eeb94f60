import type { AdamWHyper, AdamWNextScales, AdamWTensors, DeviceTensor } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `adamwStats` (not implemented yet). */
export function adamwStats(
  _ctx: GpuContext,
  ..._args: [
    tensors: AdamWTensors,
    hyper: AdamWHyper,
    stats: DeviceTensor<'f32'>,
    groupStats?: DeviceTensor<'f32'>,
  ]
): void {
  throw new Error('webgpu: adamwStats is not implemented yet');
}

/** `adamwApply` (not implemented yet). */
export function adamwApply(
  _ctx: GpuContext,
  ..._args: [tensors: AdamWTensors, hyper: AdamWHyper, next: AdamWNextScales]
): void {
  throw new Error('webgpu: adamwApply is not implemented yet');
}
