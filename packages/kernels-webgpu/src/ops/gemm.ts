import type { DeviceTensor, GemmInputDType, GemmOptions, GemmOutputDType } from '@fp8lm/tensor-interface';
import type { GpuContext } from '../context.js';

/** `gemm` (not implemented yet). */
export function gemm(
  _ctx: GpuContext,
  ..._args: [
    a: DeviceTensor<GemmInputDType>,
    b: DeviceTensor<GemmInputDType>,
    c: DeviceTensor<GemmOutputDType>,
    options?: GemmOptions,
  ]
): void {
  throw new Error('webgpu: gemm is not implemented yet');
}
